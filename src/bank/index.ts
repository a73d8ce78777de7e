export { type BookedTransaction, type BookingListener, type CardPayment, CoreBookings } from './booking.ts';
export { DEMO_BANKS, type DemoBank, regionFor } from './demo.ts';
export { type Bank, BankDirectory } from './directory.ts';
export type {
  Account,
  AccountKind,
  Balance,
  BankCore,
  Card,
  Channel,
  Customer,
  Transaction,
  TransactionPage,
  TransactionQuery,
  TransferOrder,
  TransferOutcome,
} from './model.ts';
export { InvalidCursorError } from './model.ts';
export { EU, type Region, UK } from './simulator/catalog.ts';
export {
  demoAuthorisations,
  type FraudInjectionOptions,
  type FraudScenario,
  type SimAuthorisation,
} from './simulator/fraud.ts';
export { generateCustomer, type SimCustomer } from './simulator/generate.ts';
export { type SeedOptions, type SeedResult, seedBank } from './simulator/seed.ts';
export { SqlBankCore } from './sql-core.ts';
