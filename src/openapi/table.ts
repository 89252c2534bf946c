/**
 * The route table: every route the app serves, one row each (one file per family in ./paths).
 * test/openapi.test.ts walks the app's router stack and checks that every route served is in the
 * document and every route documented is served.
 */
import { pathOf } from '../http/problems';
import { adminRoutes } from './paths/admin';
import { assetRoutes } from './paths/assets';
import { bearerRoutes } from './paths/bearer';
import { classicRoutes } from './paths/classic';
import { corsRoutes } from './paths/cors';
import { echoRoutes } from './paths/echo';
import { learnRoutes } from './paths/learn';
import { ntlmRoutes } from './paths/ntlm';
import { scramRoutes } from './paths/scram';
import { gnapRoutes } from './paths/gnap';
import { hobaRoutes } from './paths/hoba';
import { mutualRoutes } from './paths/mutual';
import { concealedRoutes } from './paths/concealed';
import { oauthRoutes } from './paths/oauth';
import { oauth1Routes } from './paths/oauth1';
import { openaiRoutes } from './paths/openai';
import { runsRoutes } from './paths/runs';
import { sessionRoutes } from './paths/session';
import { tokensRoutes } from './paths/tokens';
import { vapidRoutes } from './paths/vapid';
import { privatetokenRoutes } from './paths/privatetoken';
import type { RouteDoc } from './types';

/**
 * In the order /docs shows them: the families a learner came for first, then the teaching
 * surface and health, and the site's files last.
 */
export const ROUTES: RouteDoc[] = [
  ...bearerRoutes,
  ...tokensRoutes,
  ...oauthRoutes,
  ...sessionRoutes,
  ...adminRoutes,
  ...corsRoutes,
  ...classicRoutes,
  ...oauth1Routes,
  ...openaiRoutes,
  ...echoRoutes,
  ...vapidRoutes,
  ...privatetokenRoutes,
  ...ntlmRoutes,
  ...runsRoutes,
  ...scramRoutes,
  ...gnapRoutes,
  ...hobaRoutes,
  ...mutualRoutes,
  ...concealedRoutes,
  ...learnRoutes,
  ...assetRoutes,
];

const templateRegex = (path: string) =>
  new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);
const MATCHERS = [...new Set(ROUTES.map((r) => r.path))].map((path) => ({
  path,
  regex: templateRegex(path),
}));

/** The documented path template a concrete path falls under, if any. */
export function documentedPath(concrete: string): string | undefined {
  const path = pathOf(concrete);
  return MATCHERS.find((m) => m.regex.test(path))?.path;
}
