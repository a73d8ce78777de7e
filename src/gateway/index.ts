export { buildGateway, type GatewayOptions } from './app.ts';
export type { GatewayContext } from './context.ts';
export { AISP_PREFIX } from './routes/accounts.ts';
export { type BankEndpoints, bankUrls, type DiscoveryExtras } from './routes/discovery.ts';
