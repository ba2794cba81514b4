import Router from '@koa/router';
import { createInteractionKit, type InteractionDependencies } from './interaction/interaction-kit.js';
import { identifyRoutes } from './interaction/identify-routes.js';
import { secretRoutes } from './interaction/secret-routes.js';
import { codeRoutes } from './interaction/code-routes.js';
import { actionRoutes } from './interaction/action-routes.js';
import { consentRoutes } from './interaction/consent-routes.js';
import { certificateRoutes } from './interaction/certificate-routes.js';
import { passkeyRoutes } from './interaction/passkey-routes.js';

export { REMEMBER_COOKIE, type InteractionDependencies } from './interaction/interaction-kit.js';

/**
 * Guichet's login pages, driven by oidc-provider interactions. Each form carries `data-step` and
 * stable input names (docs/FORMS.md). GET renders the flow's next step; POST handles one step and
 * either redirects (303) back to GET or re-renders the step with its error. The steps live in
 * src/http/interaction/, one file per group, around a shared kit.
 */
export function interactionRoutes(deps: InteractionDependencies): Router {
  const router = new Router({ prefix: '/interaction' });
  const kit = createInteractionKit(deps);
  identifyRoutes(router, kit);
  secretRoutes(router, kit);
  codeRoutes(router, kit);
  actionRoutes(router, kit);
  consentRoutes(router, kit);
  certificateRoutes(router, kit);
  passkeyRoutes(router, kit);
  return router;
}
