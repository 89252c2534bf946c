/**
 * Account states (issue 16, item 7): demo users whose password is right but who may not sign in
 * as they are — locked, disabled, password expired — and one who must prove a second factor.
 * Their cards belong to two families: the cookie login (`sessionAccountScenarios`) and the
 * password grant (`tokenAccountScenarios`); session.ts and tokens.ts list them.
 */
import { problemCatalog, type ProblemCode } from './catalog';
import { cookieChallenge, postForm } from './shared';
import type { Scenario } from './types';

/** The demo users' password (DEMO_PASSWORD): every state user shares the demo user's. */
const PASSWORD = 'my_password';

interface StateCard {
  user: string;
  name: string;
  login: ProblemCode;
  grant: ProblemCode;
}

const STATES: StateCard[] = [
  { user: 'locked_user', name: 'locked', login: 'account_locked', grant: 'grant_account_locked' },
  {
    user: 'disabled_user',
    name: 'disabled',
    login: 'account_disabled',
    grant: 'grant_account_disabled',
  },
  {
    user: 'expired_password_user',
    name: 'password-expired',
    login: 'password_expired',
    grant: 'grant_password_expired',
  },
];

const MFA_SETUP =
  'POST /login with mfa_user and my_password: the 401 mfa_required body carries an mfa_token. Post it with a code to /login/mfa within 300 s (test/scenario-setups.test.ts does).';

export const sessionAccountScenarios: Scenario[] = [
  ...STATES.map((s): Scenario => ({
    id: `session-login-${s.name}`,
    family: 'session',
    title: `The right password of a ${s.name.replace('-', ' ')} account`,
    trigger: postForm('/login', { username: s.user, password: PASSWORD }),
    expect: { status: 403, code: s.login, challenge: null },
    explanation: `\`${s.user}\` with its right password: ${problemCatalog[s.login].title.toLowerCase()}. 403 without a challenge, because no other credentials would help; the same user with a wrong password gets 401 login_failed, word for word the answer of any wrong password, so the state is never shown to someone guessing.`,
    rfc: problemCatalog[s.login].rfc,
  })),
  {
    id: 'session-login-state-wrong-password',
    family: 'session',
    title: 'A wrong password for a locked account',
    trigger: postForm('/login', { username: 'locked_user', password: 'wrong' }),
    expect: { status: 401, code: 'login_failed', challenge: cookieChallenge },
    explanation:
      'The account’s state is told only after the right password: a wrong one for locked_user (or disabled_user, expired_password_user, mfa_user) is the ordinary 401 login_failed, so nobody can probe which accounts exist or are locked (OWASP Authentication Cheat Sheet).',
    rfc: problemCatalog.login_failed.rfc,
  },
  {
    id: 'session-login-mfa-required',
    family: 'session',
    title: 'The right password of an account with a second factor',
    trigger: postForm('/login', { username: 'mfa_user', password: PASSWORD }),
    expect: { status: 401, code: 'mfa_required', challenge: cookieChallenge },
    explanation:
      'Half a login: the password is right, and the answer is 401 with an `mfa_token` standing for it (300 s, 5 codes, stored against your address). POST {"mfa_token", "code": "123456"} to /login/mfa to finish and get the session cookie.',
    rfc: problemCatalog.mfa_required.rfc,
  },
  {
    id: 'session-mfa-token-invalid',
    family: 'session',
    title: 'A one-time code with a made-up mfa_token',
    trigger: postForm('/login/mfa', {
      mfa_token: 'made-up-mfa-token-made-up-mfa-token-made-up',
      code: '123456',
    }),
    expect: { status: 401, code: 'mfa_token_invalid', challenge: cookieChallenge },
    explanation:
      'The second step without a first one: the mfa_token is not one this server gave to this address (or it is used, spent or expired). Even the right code is refused: the code proves the second factor only together with the password the token stands for.',
    rfc: problemCatalog.mfa_token_invalid.rfc,
  },
  {
    id: 'session-mfa-code-invalid',
    family: 'session',
    title: 'A wrong one-time code',
    trigger: {
      ...postForm('/login/mfa', { mfa_token: '<the mfa_token of your login>', code: '000000' }),
      fired: false,
      setup: MFA_SETUP,
    },
    expect: { status: 401, code: 'mfa_code_invalid', challenge: cookieChallenge },
    explanation:
      'The token is good, the code is not: 401 with `attempts_remaining`. After 5 wrong codes the token is spent and the login starts over with the password.',
    rfc: problemCatalog.mfa_code_invalid.rfc,
  },
];

export const tokenAccountScenarios: Scenario[] = [
  ...STATES.map((s): Scenario => ({
    id: `auth-token-${s.name}`,
    family: 'tokens',
    title: `The password grant for a ${s.name.replace('-', ' ')} account`,
    trigger: postForm('/auth/token', {
      grant_type: 'password',
      username: s.user,
      password: PASSWORD,
    }),
    expect: { status: 400, code: s.grant, challenge: null },
    explanation: `\`${s.user}\` with its right password at the token endpoint: 400 invalid_grant as RFC 6749 §5.2 asks, with the code ${s.grant} to tell it from a wrong password (which is plain invalid_grant).`,
    rfc: problemCatalog[s.grant].rfc,
  })),
  {
    id: 'auth-token-mfa-required',
    family: 'tokens',
    title: 'The password grant for an account with a second factor',
    trigger: postForm('/auth/token', {
      grant_type: 'password',
      username: 'mfa_user',
      password: PASSWORD,
    }),
    expect: { status: 400, code: 'grant_mfa_required', challenge: null },
    explanation:
      'OAuth error `mfa_required`, status 400: the password grant cannot carry a second factor. Sign such users in where they can answer it (here: POST /login, then /login/mfa).',
    rfc: problemCatalog.grant_mfa_required.rfc,
  },
];
