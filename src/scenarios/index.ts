/**
 * The scenario registry: the single source of truth for every answer this server teaches.
 *
 * The problem catalog (./catalog.ts) defines each error `code` once (status, title, explanation,
 * remedy, RFCs); each family's file (./bearer.ts, ./tokens.ts, …) lists the requests that produce
 * them, and this module joins the families in one list. `GET /scenarios`, `GET /problems/:code`,
 * the playground, the OpenAPI examples and the table-driven test in test/scenarios.test.ts are
 * all derived from them, so the catalog cannot drift from behaviour: the catalog is the test.
 *
 * A new scenario is one entry in its family's file. These modules are data only and import
 * nothing from the server, so anything may import them.
 */
import * as admin from './admin';
import type { ProblemCode } from './catalog';
import * as bearer from './bearer';
import * as classic from './classic';
import * as cors from './cors';
import * as dpop from './dpop';
import * as echo from './echo';
import * as oauth from './oauth';
import * as ntlm from './ntlm';
import * as oauth1 from './oauth1';
import * as openai from './openai';
import * as platform from './platform';
import * as privatetoken from './privatetoken';
import { DEFAULT_REGISTRY_SETTINGS, registryOf } from './registry';
import * as runs from './runs';
import * as scram from './scram';
import * as gnap from './gnap';
import * as hoba from './hoba';
import * as mutual from './mutual';
import * as concealed from './concealed';
import * as session from './session';
import * as tokens from './tokens';
import * as vapid from './vapid';
import type { Family, FamilyInfo, Scenario } from './types';

export * from './catalog';
export * from './refs';
export * from './registry';
export * from './types';

/** The families in the order /scenarios, the playground and the OpenAPI tags list them. */
const FAMILIES: Record<Family, { family: FamilyInfo; scenarios: Scenario[] }> = {
  bearer,
  tokens,
  oauth,
  dpop,
  session,
  admin,
  cors,
  classic,
  oauth1,
  openai,
  echo,
  ntlm,
  runs,
  scram,
  gnap,
  hoba,
  mutual,
  concealed,
  platform,
  vapid,
  privatetoken,
};

export const families = Object.fromEntries(
  Object.entries(FAMILIES).map(([name, module]) => [name, module.family]),
) as Record<Family, FamilyInfo>;

/**
 * The registry as written, with `{{…}}` where a value depends on the configuration; `registryFor`
 * fills them. `{{token:NAME}}` stays: specimens are filled when a trigger is served or fired.
 */
const templates: Scenario[] = Object.values(FAMILIES).flatMap((module) => module.scenarios);

/**
 * The registry under a configuration: every trigger and expectation as this server, so
 * configured, really answers them (its CORS origin, cookie name, public URL, step-up max age).
 * A card that needs what the configuration lacks (an allowed origin, when CORS_ORIGINS is
 * empty) is kept, marked not fired, with the reason. Built once per settings.
 */
export const registryFor = registryOf(templates);

/**
 * The registry under the default configuration (`npm start` with no environment), filled on
 * first use and kept (registryFor): not while the server starts, which needs none of it
 * (bench/RESULTS.md, tenth round).
 */
export function defaultScenarios(): Scenario[] {
  return registryFor(DEFAULT_REGISTRY_SETTINGS);
}

/** The scenarios that produce a problem code, for its documentation page. */
export function scenariosFor(
  code: ProblemCode,
  registry: Scenario[] = defaultScenarios(),
): Scenario[] {
  return registry.filter((s) => s.expect.code === code);
}
