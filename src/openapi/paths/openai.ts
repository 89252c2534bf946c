/** The OpenAI-compatible API on /v1/* (routes/openai.ts). */
import { BODY_ERRORS, bool, int, obj, STORE, str } from '../schemas';
import type { RouteDoc } from '../types';

export const openaiRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/models',
    tag: 'openai',
    summary: 'OpenAI-compatible model list',
    security: [['openaiKey']],
    success: [
      {
        status: 200,
        description: 'The echo model.',
        schema: obj({ object: { const: 'list' }, data: { type: 'array' } }, ['object', 'data']),
      },
    ],
    errors: STORE,
  },
  {
    method: 'get',
    path: '/v1/models/{model}',
    tag: 'openai',
    summary: 'OpenAI-compatible model retrieval; an unknown model is 404 model_not_found',
    security: [['openaiKey']],
    params: { model: 'A model id, e.g. four-oh-one-echo.' },
    success: [
      {
        status: 200,
        description: 'The model.',
        schema: obj({ id: str, object: { const: 'model' }, created: int, owned_by: str }, [
          'id',
          'object',
          'created',
          'owned_by',
        ]),
      },
    ],
    errors: ['model_not_found', ...STORE],
  },
  {
    method: 'post',
    path: '/v1/chat/completions',
    tag: 'openai',
    summary: 'OpenAI-compatible chat completion (an echo), also streamed',
    security: [['openaiKey']],
    body: {
      schema: obj({ model: str, messages: { type: 'array' }, stream: bool }, ['model', 'messages']),
      required: true,
    },
    success: [
      {
        status: 200,
        description: 'A chat.completion, or with `stream: true` server-sent chunks.',
        schema: obj({ id: str, object: { const: 'chat.completion' }, choices: { type: 'array' } }, [
          'id',
          'object',
          'choices',
        ]),
        alternatives: { 'text/event-stream': str },
      },
    ],
    errors: [...BODY_ERRORS, ...STORE],
  },
];
