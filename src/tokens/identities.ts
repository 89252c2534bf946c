import { secretsEqual, sha256 } from '../auth/compare';
import type { Config } from '../config';
import { SPA_CLIENT_ID, WEB_CLIENT_ID, WEB_CLIENT_SECRET } from '../oauth/clients';

/** Who a token speaks for. `type` is the identity type the article's admin check reads. */
export interface Principal {
  sub: string;
  type: 'user' | 'admin' | 'client';
  /** The scopes this principal may be granted. */
  scopes: string[];
}

/**
 * Why a user whose password is right may still not sign in: static properties of the demo users
 * (no request changes them), shown only after the password matched, so they reveal nothing to
 * someone who does not know it.
 */
export type AccountState = 'locked' | 'disabled' | 'password_expired' | 'mfa_required';

/** The demo users in each state, with the demo user's password (DEMO_PASSWORD). */
export const STATE_USERS: Readonly<Record<AccountState, string>> = {
  locked: 'locked_user',
  disabled: 'disabled_user',
  password_expired: 'expired_password_user',
  mfa_required: 'mfa_user',
};

/** A password check's outcome: a user, a user in a state that refuses sign-in, or nothing. */
export type SignIn =
  { user: Principal; state?: undefined } | { user: Principal; state: AccountState } | undefined;

export interface Client extends Principal {
  clientId: string;
  /**
   * A public client (RFC 6749 §2.1): it has no secret, so naming it identifies it without
   * authenticating it. Confidential clients are authenticated by their secret.
   */
  public?: true;
}

/**
 * The public client of the password and refresh grants (a CLI, a browser app, an OAuth library
 * with no secret): tokens issued without client authentication name it as their `client_id`.
 */
export const PUBLIC_CLIENT_ID = 'four-oh-one-public';
const PUBLIC_CLIENT: Client = {
  sub: PUBLIC_CLIENT_ID,
  clientId: PUBLIC_CLIENT_ID,
  type: 'client',
  scopes: [],
  public: true,
};
/** The authorization-code flow's public browser client (src/oauth/clients.ts). */
const SPA_CLIENT: Client = { ...PUBLIC_CLIENT, sub: SPA_CLIENT_ID, clientId: SPA_CLIENT_ID };

interface Entry<T> {
  secret: Buffer;
  value: T;
}

/**
 * The demo identities of the articles, from configuration. Lookups for unknown names still
 * compare against a dummy secret, so an unknown name and a wrong secret cost the same time and
 * give the same answer.
 */
export class Directory {
  private readonly clients = new Map<string, Entry<Client>>();
  private readonly users = new Map<string, Entry<Principal>>();
  private readonly states = new Map<string, AccountState>();
  private readonly dummy = sha256('four-oh-one: no such identity');

  constructor(demo: Config['demo']) {
    this.clients.set(demo.apiKey, {
      secret: sha256(demo.apiSecret),
      value: { sub: demo.apiKey, clientId: demo.apiKey, type: 'client', scopes: ['data:read'] },
    });
    // The authorization-code flow's confidential client acts only for users: no scopes of its
    // own, so the client_credentials grant refuses it (unauthorized_client).
    this.clients.set(WEB_CLIENT_ID, {
      secret: sha256(WEB_CLIENT_SECRET),
      value: { sub: WEB_CLIENT_ID, clientId: WEB_CLIENT_ID, type: 'client', scopes: [] },
    });
    this.users.set(demo.username, {
      secret: sha256(demo.password),
      value: { sub: demo.username, type: 'user', scopes: ['data:read'] },
    });
    this.users.set(demo.adminUsername, {
      secret: sha256(demo.adminPassword),
      value: { sub: demo.adminUsername, type: 'admin', scopes: ['data:read', 'admin'] },
    });
    for (const [state, name] of Object.entries(STATE_USERS) as [AccountState, string][]) {
      // A configured demo user of the same name keeps its own password and no state.
      if (this.users.has(name)) continue;
      this.users.set(name, {
        secret: sha256(demo.password),
        value: { sub: name, type: 'user', scopes: ['data:read'] },
      });
      this.states.set(name, state);
    }
  }

  /** The client, if the id exists and the secret matches. */
  authenticateClient(clientId: string, secret: string): Client | undefined {
    return check(this.clients.get(clientId), secret, this.dummy);
  }

  /**
   * The user, if the name exists, the password matches and the account may sign in as it is.
   * A user in a state (locked, disabled, …) is refused here like a wrong password: only the
   * routes that teach the states (`signIn`) tell them apart.
   */
  authenticateUser(username: string, password: string): Principal | undefined {
    const result = this.signIn(username, password);
    return result && !result.state ? result.user : undefined;
  }

  /** The password check, then the account's state: the state only once the password matched. */
  signIn(username: string, password: string): SignIn {
    const user = check(this.users.get(username), password, this.dummy);
    if (!user) return undefined;
    const state = this.states.get(user.sub);
    return state ? { user, state } : { user };
  }

  /** A user or admin by name, for refresh (the user already authenticated once). */
  user(username: string): Principal | undefined {
    return this.users.get(username)?.value;
  }

  /** A client by id, whatever its secret: the login limits count failures per known account. */
  client(clientId: string): Client | undefined {
    return this.clients.get(clientId)?.value;
  }

  /** The public client named by `clientId`, if it names one: it has no secret to check. */
  publicClient(clientId: string): Client | undefined {
    if (this.clients.has(clientId)) return undefined;
    if (clientId === PUBLIC_CLIENT_ID) return PUBLIC_CLIENT;
    return clientId === SPA_CLIENT_ID ? SPA_CLIENT : undefined;
  }

  /** Whether tokens issued to `clientId` may only be used by that client authenticating. */
  isConfidential(clientId: unknown): boolean {
    return typeof clientId === 'string' && this.clients.has(clientId);
  }
}

function check<T>(entry: Entry<T> | undefined, secret: string, dummy: Buffer): T | undefined {
  const ok = secretsEqual(secret, entry?.secret ?? dummy);
  return ok && entry ? entry.value : undefined;
}
