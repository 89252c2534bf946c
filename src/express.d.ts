import type { AccessRight } from './auth/gnap';
import type { Oauth1Verified } from './auth/oauth1';
import type { Client } from './tokens/identities';
import type { AccessClaims } from './tokens/verify';
import type { TraceLater } from './teaching/trace';

/** Every field an app's middleware leaves in `res.locals` for the ones after it, in one place. */
declare global {
  namespace Express {
    interface Locals {
      /** Set first on every request by middleware/request-id.ts. */
      requestId: string;
      /** The server-generated id an explanation of this request is kept under (request-id.ts). */
      explanationId?: string;
      /**
       * Set by middleware/explain-recorder.ts; the error writer calls it for a refusal: the id of
       * the explanation that will be kept, or undefined when the address's budget is spent.
       */
      claimExplanation?: () => string | undefined;
      /** The verified caller, set by an authentication middleware. */
      auth?: { claims: AccessClaims; kid: string; kidless?: boolean };
      /** The key of the DPoP proof the caller presented its token with (middleware/dpop-auth.ts). */
      dpop?: { jkt: string };
      /** The user-id a Basic request authenticated as, set by middleware/basic-auth.ts. */
      basicUser?: string;
      /** The user a Digest request authenticated as, set by middleware/digest-auth.ts. */
      digestUser?: string;
      /** The form VAPID credentials came in, set by middleware/vapid-auth.ts. */
      vapidForm?: 'vapid' | 'WebPush';
      /** The applicationServerKey of the visitor's own subscription at /push/s/:id. */
      pushKey?: string;
      /** Who an NTLM handshake authenticated, and under which scheme (middleware/ntlm-auth.ts). */
      ntlm?: { user: string; domain: string; scheme: 'Negotiate' | 'NTLM' };
      /** What an OAuth 1.0a signature verified, set by middleware/oauth1-auth.ts. */
      oauth1?: Oauth1Verified;
      /** Who a SCRAM exchange authenticated, with which mechanism (middleware/scram-auth.ts). */
      scram?: { user: string; mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-1' };
      /** The key and rights of a GNAP access token (middleware/gnap-auth.ts). */
      gnap?: { kid: string; access: AccessRight[] };
      /** The key id a Concealed authenticator proved (middleware/concealed-auth.ts). */
      concealed?: { keyId: string };
      /** The HOBA key a signed challenge verified with (middleware/hoba-auth.ts). */
      hoba?: { kid: string; did: string };
      /** The HOBA key just registered (middleware/hoba-register.ts). */
      hobaRegistered?: { kid: string; kidtype: string; did: string; expiresIn: number };
      /** The authenticated OAuth client, set by middleware/client-auth.ts. */
      client?: Client;
      /** The logged-in cookie session, set by middleware/session-auth.ts. */
      session?: {
        user: { sub: string; type: string };
        idleExpiresAt: number;
        absoluteExpiresAt: number;
      };
      /**
       * How the request's credentials were judged, or how to work it out (src/teaching/trace.ts
       * traceNow); read by the log line and /explain.
       */
      trace?: TraceLater;
      /** The problem code and detail of a refused request, for the log line. */
      problemCode?: string;
      problemDetail?: string;
      /**
       * The run a request is recorded in (middleware/run-tag.ts names it, by X-Run-Id or a
       * /runs/{id}/ path prefix; middleware/run-script.ts finds it and numbers the request).
       */
      run?: {
        id: string;
        via: 'header' | 'path';
        at: number;
        path: string;
        scripted?: boolean;
        /** What the run's script answered (src/runs/scripts.ts StepAnswer). */
        step?: string;
      };
    }
  }
}

export {};
