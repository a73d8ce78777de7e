// The embedded database's autovacuum. PGlite runs PostgreSQL as one single-user backend, with no
// autovacuum launcher: rows rewritten all the time (screening's entity states, the log's right
// edge, the outbox) leave dead row versions that nothing removes, and each screening group got
// slower minute after minute as its table grew (the state table: 3,300 live rows in tens of MB).
//
// Written here because nothing else does it for PGlite: every `everyMs` it reads the counters
// autovacuum reads (pg_stat_user_tables, which PGlite keeps) and vacuums each table past a
// threshold like autovacuum's, one table per turn (turns.ts), so the statements waiting
// meanwhile go between two tables instead of behind all of them. No ANALYZE: on PGlite a
// sample of a large table blocks every other statement for a second or more, and the plans the
// hot statements get do not need it. On PostgreSQL the server's own autovacuum does all this
// and the option is ignored.
import { type Kysely, sql } from 'kysely';
import type { TakeTurn } from './turns.ts';

/** How often the processes Proviso runs look for tables due (a round costs one statement). */
export const EMBEDDED_VACUUM_MS = 3_000;

/** Dead row versions that make a table due for VACUUM: this many, plus a share of its live rows. */
const DEAD_BASE = 200;
const DEAD_SHARE = 0.05;

export interface EmbeddedVacuum {
  /** Stops the rounds and waits for a running one to finish. */
  stop(): Promise<void>;
}

interface DueTable {
  schemaname: string;
  relname: string;
}

/** A failed round is told and the next one tries again (a table name is all it can hold). */
function reportToStderr(error: unknown): void {
  process.stderr.write(`embedded vacuum: ${error instanceof Error ? error.message : String(error)}\n`);
}

export function startEmbeddedVacuum(
  db: Kysely<unknown>,
  turn: TakeTurn,
  everyMs: number,
  onError: (error: unknown) => void = reportToStderr,
): EmbeddedVacuum {
  let stopped = false;
  let running: Promise<void> | undefined;

  const round = async () => {
    const { rows } = await turn(async () => {
      // A backend sends its counters to the shared statistics at most once a second, when a
      // transaction ends; this one asks for them now, so the next statement reads them all.
      await sql`select pg_stat_force_next_flush()`.execute(db);
      return sql<DueTable>`
        select schemaname, relname
          from pg_stat_user_tables
         where n_dead_tup > ${DEAD_BASE}::float8 + ${DEAD_SHARE}::float8 * n_live_tup`.execute(db);
    });
    for (const table of rows) {
      if (stopped) return;
      await turn(() => sql`vacuum ${sql.id(table.schemaname, table.relname)}`.execute(db));
    }
  };

  const timer = setInterval(() => {
    if (running !== undefined || stopped) return;
    running = round()
      .catch(onError)
      .finally(() => {
        running = undefined;
      });
  }, everyMs);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
