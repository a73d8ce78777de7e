// Versioned SQL migrations, one set for PGlite and PostgreSQL. Files are named
// NNNN_context_what.sql; each runs in its own transaction, once, in name order.
import { readdir, readFile } from 'node:fs/promises';
import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator, sql } from 'kysely';
import type { Database } from './database.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

class SqlFileProvider implements MigrationProvider {
  readonly folder: URL;
  constructor(folder: URL) {
    this.folder = folder;
  }
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.folder)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(new URL(file, this.folder), 'utf8');
      migrations[file.replace(/\.sql$/, '')] = { up: async (db) => void (await sql.raw(text).execute(db)) };
    }
    return migrations;
  }
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrateOptions {
  /**
   * Folder of NNNN_context_what.sql files (a file: URL ending in '/'). Defaults to the shared
   * migrations; an app with its own database (the relay) passes its own folder.
   */
  folder?: URL;
  /** Bookkeeping table (default proviso_migration); a separate folder needs its own. */
  table?: string;
}

/** Brings the schema up to date. Safe to call from several instances at once (Kysely takes a lock). */
export async function migrate(database: Database, options: MigrateOptions = {}): Promise<string[]> {
  const migrator = new Migrator({
    db: database.tables<unknown>(),
    provider: new SqlFileProvider(options.folder ?? MIGRATIONS_DIR),
    migrationTableName: options.table ?? 'proviso_migration',
    migrationLockTableName: `${options.table ?? 'proviso_migration'}_lock`,
    // Each bounded context owns a number range (see CONTRIBUTING.md), so contexts can add
    // migrations independently; each file still runs exactly once.
    allowUnorderedMigrations: true,
  });
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(
      `migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
