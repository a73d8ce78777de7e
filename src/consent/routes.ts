// HTTP surface of the consent context. Every route but the access-history script lives under
// /banks/:bankId, in one scope that checks the bank is served here (after the request's schema,
// before any other work); each plugin below does one job:
//   provider-mount.ts         the bank's authorization server (oidc-provider)
//   interaction-page.ts       GET of a linking request: login or consent, whichever is asked
//   login-interaction.ts      the login form of a linking request
//   consent-interaction.ts    the consent decision: records it, mints the grant
//   dashboard-login.ts        login and logout of the bank's own pages
//   connected-apps.ts         the customer's dashboard and its actions
//   customer-receipts.ts      the customer's signed receipt
//   access-history-routes.ts  the customer's transparency-log entries
//   platform-consent-api.ts   the platform's receipt copy and DELETE
// The customer's sessions (customer-sessions.ts) and the dashboard's login page are shared.
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { accessHistory, accessHistoryScript } from './access-history-routes.ts';
import { connectedApps } from './connected-apps.ts';
import { consentInteraction } from './consent-interaction.ts';
import { customerReceipts } from './customer-receipts.ts';
import { CustomerSessions } from './customer-sessions.ts';
import { DashboardLogin, dashboardLoginRoutes } from './dashboard-login.ts';
import { interactionPage } from './interaction-page.ts';
import { loginInteraction } from './login-interaction.ts';
import { platformConsentApi } from './platform-consent-api.ts';
import { providerMount } from './provider-mount.ts';
import { bankServed } from './screen-kit.ts';
import type { ScreenOptions } from './screen-options.ts';
import type { ConsentService } from './service.ts';

export { ACCESS_HISTORY_SCRIPT_PATH } from './access-history-routes.ts';

export async function consentRoutes(scope: FastifyInstance, consent: ConsentService): Promise<void> {
  const secure = () => consent.options.publicUrl().startsWith('https:');
  const screens: ScreenOptions = {
    consent,
    sessions: new CustomerSessions(consent.options.database, secure),
    dashboardLogin: new DashboardLogin(consent, secure),
  };

  await scope.register(
    async (bank) => {
      bank.addHook('preHandler', bankServed(consent));
      await bank.register(providerMount, { consent });
      await bank.register(async (forms) => {
        await forms.register(formbody, { bodyLimit: 16 * 1024 });
        await forms.register(interactionPage, screens);
        await forms.register(loginInteraction, screens);
        await forms.register(consentInteraction, screens);
        await forms.register(dashboardLoginRoutes, screens);
        await forms.register(connectedApps, screens);
        await forms.register(customerReceipts, screens);
        await forms.register(accessHistory, screens);
      });
      await bank.register(platformConsentApi, { consent });
    },
    { prefix: '/banks/:bankId' },
  );
  await scope.register(accessHistoryScript);
}
