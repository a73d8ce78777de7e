// The "logged" mark: was this release recorded in the bank's transparency log? The check
// (inclusion proof of the entry at header.log against a witnessed checkpoint) is wired in by
// setInclusionVerifier; bankLogVerifier is the real one: the bank's signed checkpoint, the
// entry from the public tiles and its inclusion proof, all checked here with WebCrypto.
import { type LogEntryChecker, logEntryChecker } from '../../src/translog/browser-check.ts';
export type InclusionState =
  | { state: 'unchecked'; detail: string }
  | { state: 'included'; detail: string }
  | { state: 'failed'; detail: string };

export type InclusionVerifier = (input: {
  bank: string;
  log: number;
  envelope: string;
  purpose: string;
}) => Promise<InclusionState>;

let verifier: InclusionVerifier | undefined;

export function setInclusionVerifier(v: InclusionVerifier | undefined): void {
  verifier = v;
}

export async function checkInclusion(
  bank: string,
  log: number,
  envelope: string,
  purpose: string,
): Promise<InclusionState> {
  if (!verifier) return { state: 'unchecked', detail: `Log entry #${log} not yet checked` };
  try {
    return await verifier({ bank, log, envelope, purpose });
  } catch (e) {
    return { state: 'failed', detail: `Log check failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

const RELEASE_KINDS = ['data.access', 'card.action', 'alert.raised'];

/** Checks each card's log entry in the bank's own log (found through the bank's discovery). */
export function bankLogVerifier(issuerOf: (bank: string) => string | undefined): InclusionVerifier {
  const checkers = new Map<string, Promise<LogEntryChecker | null>>();
  function checkerFor(bank: string, issuer: string): Promise<LogEntryChecker | null> {
    let c = checkers.get(bank);
    if (!c) {
      c = fetch(`${new URL(issuer).origin}/.well-known/proviso`, { credentials: 'omit' })
        .then(
          (r) =>
            r.json() as Promise<{ banks?: { id: string; log_prefix?: string; log_verifier_key?: string }[] }>,
        )
        .then((doc) => {
          const b = doc.banks?.find((x) => x.id === bank);
          return b?.log_prefix && b.log_verifier_key
            ? logEntryChecker(b.log_prefix, b.log_verifier_key)
            : null;
        });
      c.catch(() => checkers.delete(bank));
      checkers.set(bank, c);
    }
    return c;
  }
  return async ({ bank, log, purpose }) => {
    const issuer = issuerOf(bank);
    if (!issuer) return { state: 'unchecked', detail: `Log entry #${log} not checked (bank unknown)` };
    const checker = await checkerFor(bank, issuer);
    if (!checker)
      return { state: 'unchecked', detail: `Log entry #${log} not checked (the bank publishes no log)` };
    let cp = await checker.checkpoint();
    // A new entry reaches a signed checkpoint within about a second.
    for (let i = 0; i < 20 && log >= cp.size; i++) {
      await checker.sleep(500);
      cp = await checker.checkpoint();
    }
    if (log >= cp.size)
      return { state: 'unchecked', detail: `Log entry #${log} not yet in a signed checkpoint` };
    const entry = await checker.verifyEntry(log, cp);
    if (!RELEASE_KINDS.includes(String(entry['kind'])) || entry['purpose'] !== purpose)
      return { state: 'failed', detail: `Log entry #${log} does not record this release` };
    return { state: 'included', detail: `Logged #${log}` };
  };
}
