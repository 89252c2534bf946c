/** The Concealed scheme (RFC 9729): routes/concealed.ts. */
import { obj, str } from '../schemas';
import type { RouteDoc } from '../types';

const authenticated = {
  status: 200,
  description: 'The proof matched this TLS connection’s exporter output (TLS 1.3 only).',
  schema: obj({ authenticated: { const: true }, scheme: { const: 'Concealed' }, key_id: str }, [
    'authenticated',
    'scheme',
    'key_id',
  ]),
};

export const concealedRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/concealed/resource',
    tag: 'concealed',
    summary: 'Concealed (RFC 9729), explained: each refusal a 401 with its own code',
    description:
      '`Authorization: Concealed k=…, a=…, p=…, s=2055, v=…` over TLS 1.3: v and p come from the connection’s keying material exporter (RFC 5705), label EXPORTER-HTTP-Concealed-Authentication. Over plain http every check that needs no TLS is made, then `concealed_tls_required` names the missing exporter. RFC 9729 defines no challenge; the 401s carry the bare scheme name.',
    security: [['concealed']],
    success: [authenticated],
  },
  {
    method: 'get',
    path: '/concealed/hidden',
    tag: 'concealed',
    summary: 'Concealed (RFC 9729), non-probeable: every failure is a 404',
    description:
      'The same checks; a missing or failed credential, and any other method, gets exactly the 404 `not_found` of a path no route serves (RFC 9729 §6.4).',
    security: [['concealed']],
    success: [authenticated],
    guardErrors: false,
    errors: ['not_found'],
  },
];
