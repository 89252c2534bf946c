import type { Client } from './identities';
import type { AccessClaims } from './tokens';

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
      /** The authenticated OAuth client, set by middleware/client-auth.ts. */
      client?: Client;
      /** The logged-in cookie session, set by middleware/session-auth.ts. */
      session?: {
        user: { sub: string; type: string };
        idleExpiresAt: number;
        absoluteExpiresAt: number;
      };
      /** The problem code and detail of a refused request, for the log line. */
      problemCode?: string;
      problemDetail?: string;
    }
  }
}

export {};
