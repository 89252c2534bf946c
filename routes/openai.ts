import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { methodNotAllowed, problem } from '../src/http/problems';
import type { Clock } from '../src/store';

/** The one model this server serves: it answers by quoting the last user message back. */
export const ECHO_MODEL = {
  id: 'four-oh-one-echo',
  object: 'model',
  // Fixed, so that responses are byte-for-byte reproducible: 2026-01-01T00:00:00Z.
  created: 1767225600,
  owned_by: 'four-oh-one',
} as const;

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/**
 * The OpenAI-compatible API of the first article: an OpenAI-style client (its SDK, or anything
 * that speaks `/v1/chat/completions`) pointed at this server with only the base URL changed.
 * A wrong key gets what the article shows, `Invalid Token (request id: …)`, in OpenAI's envelope.
 */
export function openaiRouter(deps: { openaiAuth: RequestHandler; clock: Clock }): Router {
  const router = Router();
  const completions = createCompletion(deps.clock);
  // Authentication runs before the body is read: a stranger's 64 KiB is not worth parsing.
  const jsonBody = express.json({ limit: '64kb' });
  router.route('/v1/models').get(deps.openaiAuth, listModels).all(methodNotAllowed('GET'));
  router
    .route('/v1/models/:model')
    .get(deps.openaiAuth, retrieveModel)
    .all(methodNotAllowed('GET'));
  router
    .route('/v1/chat/completions')
    .post(deps.openaiAuth, jsonBody, completions)
    .all(methodNotAllowed('POST'));
  return router;
}

const listModels: RequestHandler = function listModels(_req, res) {
  res.setHeader('Cache-Control', 'no-store');
  res.json({ object: 'list', data: [ECHO_MODEL] });
};

/**
 * OpenAI's `GET /v1/models/{model}`: the model object, or for an id no model has, 404 with code
 * `model_not_found` and param `model`, in OpenAI's words. The key is judged first, as OpenAI
 * does, so a wrong key hears 401 whatever model it names.
 */
const retrieveModel: RequestHandler = function retrieveModel(req, res) {
  const id = String(req.params.model);
  if (id !== ECHO_MODEL.id) {
    throw problem('model_not_found', {
      detail: `The model '${id.slice(0, 64)}' does not exist`,
      extensions: { param: 'model' },
    });
  }
  res.setHeader('Cache-Control', 'no-store');
  res.json(ECHO_MODEL);
};

interface Message {
  role: string;
  content: string;
}

interface CompletionRequest {
  model: string;
  messages: Message[];
  stream: boolean;
  includeUsage: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const invalid = (param: string | null, detail: string) =>
  problem('body_invalid', { detail, ...(param === null ? {} : { extensions: { param } }) });

/** Checks the fields this server reads, with OpenAI's wording; anything else is ignored. */
function parseCompletionRequest(req: Request): CompletionRequest {
  const body: unknown = req.body;
  if (!isObject(body)) {
    if (body === undefined && req.headers['content-type'] && !req.is('application/json')) {
      throw problem('media_type_unsupported', {
        detail: 'Send the request body as application/json.',
      });
    }
    throw invalid(null, 'The request body must be a JSON object.');
  }
  const { model, messages, stream, stream_options: streamOptions } = body;
  if (model === undefined) throw invalid('model', "Missing required parameter: 'model'.");
  if (typeof model !== 'string' || model === '') {
    throw invalid('model', "Invalid type for 'model': expected a non-empty string.");
  }
  if (messages === undefined) throw invalid('messages', "Missing required parameter: 'messages'.");
  if (!Array.isArray(messages)) {
    throw invalid('messages', "Invalid type for 'messages': expected an array.");
  }
  if (messages.length === 0) {
    throw invalid('messages', "Invalid 'messages': empty array. Expected at least one message.");
  }
  const checked = messages.map((m: unknown, i): Message => {
    if (!isObject(m)) throw invalid(`messages[${i}]`, `Invalid type for 'messages[${i}]'.`);
    if (typeof m.role !== 'string' || !ROLES.has(m.role)) {
      throw invalid(
        `messages[${i}].role`,
        `Invalid value for 'messages[${i}].role': expected one of ${[...ROLES].join(', ')}.`,
      );
    }
    if (typeof m.content !== 'string') {
      throw invalid(
        `messages[${i}].content`,
        `Invalid type for 'messages[${i}].content': expected a string.`,
      );
    }
    return { role: m.role, content: m.content };
  });
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw invalid('stream', "Invalid type for 'stream': expected a boolean.");
  }
  if (streamOptions !== undefined && streamOptions !== null && !isObject(streamOptions)) {
    throw invalid('stream_options', "Invalid type for 'stream_options': expected an object.");
  }
  return {
    model,
    messages: checked,
    stream: stream === true,
    includeUsage: isObject(streamOptions) && streamOptions.include_usage === true,
  };
}

const words = (text: string) => text.split(/\s+/).filter((w) => w !== '').length;

/** The canned answer: deterministic, so a client's tests can assert on it. */
export function echoReply(messages: readonly Message[]): string {
  const last = [...messages].reverse().find((m) => m.role === 'user');
  return last === undefined
    ? 'There is no user message to echo.'
    : `You said: "${last.content}". This is four-oh-one's echo model; your key works.`;
}

/** The members every completion and chunk start with, in OpenAI's order. */
type Head = (object: string) => { id: string; object: string; created: number; model: string };

function createCompletion(clock: Clock): RequestHandler {
  return function createCompletion(req, res) {
    const request = parseCompletionRequest(req);
    const content = echoReply(request.messages);
    const promptTokens = request.messages.reduce((n, m) => n + words(m.content), 0);
    const completionTokens = words(content);
    // The id is derived from the request id, so that a completion can be found in the log.
    const id = `chatcmpl-${res.locals.requestId}`;
    const created = Math.floor(clock.now() / 1000);
    const head: Head = (object) => ({ id, object, created, model: request.model });
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
    res.setHeader('Cache-Control', 'no-store');
    if (request.stream) {
      streamCompletion(res, head, content, request.includeUsage ? usage : undefined);
      return;
    }
    res.json({
      ...head('chat.completion'),
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage,
    });
  };
}

/**
 * Server-sent events as OpenAI sends them: a role chunk, one chunk per word, a chunk with
 * finish_reason, an optional usage chunk, then `data: [DONE]`.
 */
function streamCompletion(
  res: Response,
  head: Head,
  content: string,
  usage: Record<string, number> | undefined,
): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('X-Accel-Buffering', 'no'); // proxies such as nginx must not hold the stream back
  const send = (data: string) => res.write(`data: ${data}\n\n`);
  const chunk = (delta: object, finishReason: string | null) =>
    send(
      JSON.stringify({
        ...head('chat.completion.chunk'),
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      }),
    );
  chunk({ role: 'assistant', content: '' }, null);
  for (const piece of content.match(/\S+\s*/g) ?? []) chunk({ content: piece }, null);
  chunk({}, 'stop');
  if (usage) send(JSON.stringify({ ...head('chat.completion.chunk'), choices: [], usage }));
  send('[DONE]');
  res.end();
}
