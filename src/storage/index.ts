export { type Database, type OpenOptions, openDatabase, type StorageKind } from './database.ts';
export { EMBEDDED_VACUUM_MS } from './embedded-vacuum.ts';
export { type MigrateOptions, MigrationError, migrate } from './migrate.ts';
export type { TakeTurn } from './turns.ts';
