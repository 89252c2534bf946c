/** The route table's rows and the pieces of the document they become. */
import type { ProblemCode } from '../scenarios/catalog';
import type { Family } from '../scenarios';

export type Schema = Record<string, unknown>;
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'options';

/** The security schemes, named as in components.securitySchemes. */
export type Security =
  | 'bearer'
  | 'dpop'
  | 'cookieSession'
  | 'basic'
  | 'digest'
  | 'apiKey'
  | 'openaiKey'
  | 'negotiate'
  | 'ntlm'
  | 'oauth1'
  | 'scramSha256'
  | 'scramSha1'
  | 'gnap'
  | 'hoba'
  | 'mutual'
  | 'concealed';

export interface Success {
  status: number | `${1 | 2 | 3 | 4 | 5}XX`;
  description: string;
  /** application/json unless `type` says otherwise; none for an empty body. */
  schema?: Schema;
  type?: string;
  /** More media types for the same status (HTML for browsers, a stream). */
  alternatives?: Record<string, Schema>;
  headers?: Record<string, string>;
}

export interface RouteDoc {
  method: Method;
  /** The OpenAPI path, `{name}` for parameters. */
  path: string;
  tag: Family | 'learn' | 'operations' | 'assets';
  summary: string;
  description?: string;
  /** Alternatives: any one of them (an empty list: none needed). Absent: no credentials. */
  security?: Security[][];
  success: Success[];
  /** Problems the route answers besides those its registry scenarios show. */
  errors?: ProblemCode[];
  /** A JSON (and, with `form`, urlencoded) body with these properties. */
  body?: { schema: Schema; form?: boolean; required?: boolean };
  /** Path and query parameters: a description (a string then), or a description and a schema. */
  params?: Record<string, string | { description: string; schema: Schema }>;
  /**
   * Whether the guards of `security` answer here as on their own routes (the default). The OAuth
   * endpoints authenticate clients with Basic, but answer invalid_client, not Basic's codes.
   */
  guardErrors?: false;
}

export interface Example {
  summary: string;
  description?: string;
  value: unknown;
}
