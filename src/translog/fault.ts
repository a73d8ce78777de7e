// Fault points for the crash test (`npm run fault`, test/fault/): when PROVISO_FAULT names a
// point, the process kills itself with SIGKILL the Nth time it reaches that point
// (PROVISO_FAULT_AT, default 1) — no cleanup, no flush, as a power cut or OOM kill would.
// Read once at start; unset (every normal run) it is a no-op.
export const FAULT_POINTS = [
  /** Inside the batch transaction: entries and tiles written, the attached (audit) rows not yet. */
  'after-log-append',
  /** Inside the batch transaction: everything written, COMMIT not yet sent. */
  'before-commit',
  /** COMMIT done, the callers (and so the releases) not yet answered. */
  'after-commit',
  /** A checkpoint signed and stored, the witnesses not yet asked. */
  'after-checkpoint-signed',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

const armed = process.env['PROVISO_FAULT'] as FaultPoint | undefined;
let remaining = Number(process.env['PROVISO_FAULT_AT'] ?? '1');
if (armed !== undefined && !(FAULT_POINTS as readonly string[]).includes(armed)) {
  throw new Error(`PROVISO_FAULT must be one of ${FAULT_POINTS.join(', ')}`);
}

/** Kills the process here when the crash test armed this point. */
export function faultPoint(point: FaultPoint): void {
  if (armed !== point) return;
  remaining -= 1;
  if (remaining > 0) return;
  process.stderr.write(`PROVISO_FAULT: killing the process at ${point}\n`);
  process.kill(process.pid, 'SIGKILL');
}
