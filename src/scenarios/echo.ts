import { problemCatalog } from './catalog';
import { rfc } from './refs';
import { bearer, postForm } from './shared';
import type { Expectation, FamilyInfo, Scenario } from './types';

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'Echo, httpbin-style: GET /headers, /anything',
  summary:
    'What your client really sent: `GET /headers` answers the header fields as they arrived, and `/anything` (GET, POST, PUT, PATCH, DELETE) the method, path, query, headers, parsed body and the address the server sees. Unlike httpbin, secrets are never echoed: Basic credentials show the user name and the password’s length, a Bearer JWT its decoded header and payload without the signature, keys and cookies their length. Nothing is stored or logged.',
};

/** An echo: never cached, since it repeats the request (RFC 9111 §5.2.2.5). */
const ECHOED: Expectation = {
  status: 200,
  challenge: null,
  headers: { 'cache-control': 'no-store' },
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'echo-headers',
    family: 'echo',
    title: 'The header fields your client sends',
    trigger: { method: 'GET', path: '/headers', headers: { 'X-Hello': 'from the playground' } },
    expect: ECHOED,
    explanation:
      'Every field as it arrived, names in the case they were sent and repeated fields as a list: what your HTTP library, proxy or browser added (User-Agent, Accept-Encoding, Origin) shows here. Compare the curl, Python and browser versions of one call.',
    rfc: [rfc(9110, '5'), rfc(9110, '6.3')],
  },
  {
    id: 'echo-basic-credentials',
    family: 'echo',
    title: 'Basic credentials decoded, the password not echoed',
    trigger: {
      method: 'GET',
      path: '/anything',
      headers: { Authorization: 'Basic bXlfdXNlcm5hbWU6bXlfcGFzc3dvcmQ=' },
    },
    expect: ECHOED,
    explanation:
      'Basic credentials are base64, not encryption: anyone who sees the header reads them. `credentials.authorization` shows the user name the client sent (`my_username`) and the password only by its length, so a wrong user name or a password cut short by the client shows without the secret itself being repeated.',
    rfc: [rfc(7617, '2')],
  },
  {
    id: 'echo-bearer-jwt',
    family: 'echo',
    title: 'A Bearer JWT decoded: header and payload, never the signature',
    trigger: { method: 'GET', path: '/anything?page=2', headers: bearer('expired') },
    expect: ECHOED,
    explanation:
      'The echo decodes the token your client sent: its header (`alg`, `typ`, `kid`) and payload (`exp`, `aud`, `scope`), so you can see why a resource would refuse it. It does not verify it: this expired token is echoed with 200, and GET /api/v1/data answers it 401 token_expired. The signature and the raw token are never echoed.',
    rfc: [rfc(7519, '3'), rfc(6750, '2.1')],
  },
  {
    id: 'echo-form-body',
    family: 'echo',
    title: 'A form body as parsed, the password not echoed',
    trigger: postForm('/anything', { username: 'my_username', password: 'my_password' }),
    expect: ECHOED,
    explanation:
      'The article’s login form as the server parses it: `body` holds each field, except that a member named like a secret (password, secret, token, key) shows only its length.',
    rfc: [rfc(9110, '8.3')],
  },
  {
    id: 'echo-unsupported-media-type',
    family: 'echo',
    title: 'JSON declared in ISO-8859-1',
    trigger: {
      method: 'POST',
      path: '/anything',
      headers: { 'Content-Type': 'application/json; charset=iso-8859-1' },
      body: { message: 'hello' },
    },
    expect: { status: 415, code: 'media_type_unsupported', challenge: null },
    explanation:
      'JSON between systems is UTF-8 (RFC 8259 §8.1): a body declared in another charset is refused with 415 rather than guessed at. The echo reads JSON and forms like every endpoint here that takes a body, within the same 8 KiB: any other media type (text/plain) is 415 too, a larger body 413, and JSON with a syntax error 400.',
    rfc: [rfc(8259, '8.1'), ...problemCatalog.media_type_unsupported.rfc],
  },
];
