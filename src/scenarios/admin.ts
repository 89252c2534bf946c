import { problemCatalog } from './catalog';
import { rfc } from './refs';
import { insufficientScope, noError, RESOURCE_METADATA } from './shared';
import type { FamilyInfo, Scenario } from './types';
import { cite } from './sources';

/** RFC 9470 §3: a valid token whose login is not recent enough, with the max_age wanted. */
const STEP_UP = `Bearer realm="four-oh-one", error="insufficient_user_authentication", error_description="${problemCatalog.insufficient_user_authentication.title}", max_age="{{step_up_max_age}}", ${RESOURCE_METADATA}`;

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'Roles and recent logins: 401 versus 403',
  summary: `${cite('explained', 4)}: an admin panel behind a role check. The article answers 401 to a signed-in non-admin; this server answers 403, and shows the one case where a valid token still earns a 401: a login that is too old (RFC 9470 step-up).`,
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'admin-as-admin',
    family: 'admin',
    title: 'An admin opens the admin panel',
    trigger: {
      method: 'GET',
      path: '/admin',
      headers: { Authorization: 'Bearer {{token:admin}}' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      'The Flask example’s happy path: the identity type is admin, and the answer is {"message": "Welcome to the admin panel!"}.',
    rfc: [rfc(6750, '2.1')],
  },
  {
    id: 'admin-no-token',
    family: 'admin',
    title: 'No token at the admin panel',
    trigger: { method: 'GET', path: '/admin' },
    expect: { status: 401, code: 'token_missing', challenge: noError },
    explanation:
      'Without credentials the server cannot know whether you are an admin: 401, with a challenge. Here the article and the RFCs agree.',
    rfc: problemCatalog.token_missing.rfc,
  },
  {
    id: 'admin-as-user',
    family: 'admin',
    title: 'A signed-in non-admin at the admin panel: 403, not 401',
    trigger: {
      method: 'GET',
      path: '/admin',
      headers: { Authorization: 'Bearer {{token:valid}}' },
    },
    expect: { status: 403, code: 'role_insufficient', challenge: null },
    explanation:
      'The token is valid; the user is simply not an admin, which is the article’s `current_user["type"] == "admin"` check. RFC 9110 §15.5.4: a server that understood the credentials and refuses anyway answers 403. It is a role, not a scope: no token of this user would pass, so it is not insufficient_scope and carries no challenge to ask for more.',
    articleNote: `The Flask example in ${cite('explained', 4)} returns 401 with "You are not authorized to access this resource." for a logged-in non-admin. A 401 tells the client its credentials are missing or bad, so a well-behaved client refreshes or re-prompts and gets 401 again, forever. 403 says: these credentials are fine, and they will never be enough.`,
    rfc: problemCatalog.role_insufficient.rfc,
  },
  {
    id: 'admin-token-without-admin-scope',
    family: 'admin',
    title: 'An admin’s token narrowed to data:read, at the admin panel',
    trigger: {
      method: 'GET',
      path: '/admin',
      headers: { Authorization: 'Bearer {{token:admin_data_read_only}}' },
    },
    expect: { status: 403, code: 'insufficient_scope', challenge: insufficientScope('admin') },
    explanation:
      'The admin logged in asking for `scope=data:read` only (least privilege: a token for reading data cannot open the admin panel if it leaks). The role check passes, the scope check does not: /admin needs the admin role and the admin scope. 403 insufficient_scope with `scope="admin"`: the same user asking for a token with the admin scope will get in (incremental consent).',
    rfc: [rfc(6750, '3.1'), rfc(6749, '3.3'), rfc(9110, '15.5.4')],
  },
  {
    id: 'revoke-all-other-subject-as-user',
    family: 'admin',
    title: 'A non-admin revoking another user’s tokens',
    trigger: {
      method: 'POST',
      path: '/auth/revoke-all',
      headers: { Authorization: 'Bearer {{token:valid}}' },
      body: { sub: 'admin' },
    },
    expect: { status: 403, code: 'role_insufficient', challenge: null },
    explanation:
      'Anyone may revoke their own tokens with POST /auth/revoke-all; naming another `sub` is an admin’s business, checked as /admin checks it: the admin role first, then the admin scope. A user is refused by role, before anything is revoked.',
    rfc: problemCatalog.role_insufficient.rfc,
  },
  {
    id: 'revoke-all-other-subject-without-admin-scope',
    family: 'admin',
    title: 'An admin’s data:read token revoking another user’s tokens',
    trigger: {
      method: 'POST',
      path: '/auth/revoke-all',
      headers: { Authorization: 'Bearer {{token:admin_data_read_only}}' },
      body: { sub: 'my_username' },
    },
    expect: { status: 403, code: 'insufficient_scope', challenge: insufficientScope('admin') },
    explanation:
      'The admin’s role passes, but this token was granted only `data:read`: revoking another subject’s tokens needs the admin scope too, as /admin does. A token with `scope=admin` (or no scope asked, for all of the admin’s) may.',
    rfc: [rfc(6750, '3.1'), rfc(6749, '3.3')],
  },
  {
    id: 'step-up-stale-login',
    family: 'admin',
    title: 'A valid token whose login is too old (step-up)',
    trigger: {
      method: 'GET',
      path: '/account/security',
      headers: { Authorization: 'Bearer {{token:stale_login}}' },
    },
    expect: {
      status: 401,
      code: 'insufficient_user_authentication',
      challenge: STEP_UP,
    },
    explanation:
      'The one 401 with a perfectly valid token: the user logged in two hours ago and this page wants a login at most max_age seconds old (STEP_UP_MAX_AGE_SECONDS). RFC 9470 adds the error code and the max_age parameter so the client knows to send the user through login again rather than refresh.',
    rfc: problemCatalog.insufficient_user_authentication.rfc,
  },
  {
    id: 'step-up-client-token',
    family: 'admin',
    title: 'A client token where a user login is needed',
    trigger: {
      method: 'GET',
      path: '/account/security',
      headers: { Authorization: 'Bearer {{token:valid}}' },
    },
    expect: {
      status: 401,
      code: 'insufficient_user_authentication',
      challenge: STEP_UP,
    },
    explanation:
      'This token records no auth_time at all, as client-credentials tokens never do: no user logged in, so no login can be recent enough.',
    rfc: problemCatalog.insufficient_user_authentication.rfc,
  },
  {
    id: 'step-up-fresh-login',
    family: 'admin',
    title: 'A fresh login passes the step-up check',
    trigger: {
      method: 'GET',
      path: '/account/security',
      headers: { Authorization: 'Bearer {{token:fresh_login}}' },
    },
    expect: { status: 200, challenge: null },
    explanation: 'auth_time is within max_age of the server clock, so the page opens.',
    rfc: [rfc(9470, '3')],
  },
];
