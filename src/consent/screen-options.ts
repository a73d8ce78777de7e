// What the screen plugins are registered with: the consent service, the customer's sessions,
// and the dashboard's login page (shared by connected apps and access history).
import type { CustomerSessions } from './customer-sessions.ts';
import type { DashboardLogin } from './dashboard-login.ts';
import type { ConsentService } from './service.ts';

export interface ScreenOptions {
  consent: ConsentService;
  sessions: CustomerSessions;
  dashboardLogin: DashboardLogin;
}
