// Turns at the embedded database's one session. PGlite runs one statement at a time, and a
// transaction owns the session from `begin` to `commit` (pglite-worker.ts): a task that issues
// its statements one after another — an outbox delivery: claim, alert read, consent read, log
// append — waits behind a whole transaction for each of them when another task (screening's
// groups) runs transactions back to back. Taking a turn makes such a task wait once: turns
// are granted in the order they were asked for, and a task holds the database between its
// statements until its turn ends. On PostgreSQL (a pool of sessions) nobody waits.
//
// A turn must not wait on anything but the database and CPU (never a network peer), and must
// not ask for another turn inside itself (it would wait for itself).

/** Runs `work` in its own turn; see the header. */
export type TakeTurn = <T>(work: () => Promise<T>) => Promise<T>;

/** The PostgreSQL case: sessions are many, no turns. */
export const withoutTurns: TakeTurn = (work) => work();

/** First come, first served: one turn at a time. */
export function turnQueue(): TakeTurn {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const mine = last.then(work);
    last = mine.catch(() => {});
    return mine;
  };
}
