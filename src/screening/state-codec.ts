// How an entity state is stored in screening_state: its time histories (a card's `t`, a
// customer's and a terminal's `times`, a terminal's `labelT`) as differences from the entry
// before rather than 13-digit epoch milliseconds. Those histories are about 40 % of the state
// JSON a screening group writes back (one of the largest costs of a group on PGlite: a MB
// sent, parsed and stored costs ~20–30 ms); as differences they take about half. Exact:
// only arrays of safe integers are encoded, and a running sum of safe integers is exact.
// Rows written before (plain arrays) are read as they are.

/** The fields holding epoch-millisecond histories, oldest first (see state.ts). */
const TIME_FIELDS: ReadonlySet<string> = new Set(['t', 'times', 'labelT']);

/** A time history as stored: the first value, then each value minus the one before. */
interface Differences {
  readonly d: number[];
}

function isDifferences(value: unknown): value is Differences {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Array.isArray((value as Differences).d)
  );
}

function differences(values: readonly number[]): Differences | undefined {
  const d = new Array<number>(values.length);
  let previous = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isSafeInteger(value)) return undefined;
    const step = value - previous;
    // A step beyond the safe range could not be summed back exactly.
    if (!Number.isSafeInteger(step)) return undefined;
    d[i] = step;
    previous = value;
  }
  return { d };
}

function runningSum(stored: Differences): number[] {
  const values = new Array<number>(stored.d.length);
  let sum = 0;
  for (let i = 0; i < stored.d.length; i++) {
    sum += stored.d[i]!;
    values[i] = sum;
  }
  return values;
}

/** The state as it is stored (a shallow copy; the state itself is not changed). */
export function encodeState(state: object): object {
  const stored: Record<string, unknown> = { ...state };
  for (const field of TIME_FIELDS) {
    const value = stored[field];
    if (!Array.isArray(value) || value.length < 2) continue;
    const encoded = differences(value as number[]);
    if (encoded !== undefined) stored[field] = encoded;
  }
  return stored;
}

/** A stored state back as the engine's state (in place: the object was just parsed). */
export function decodeState<T extends object>(stored: T): T {
  const fields = stored as Record<string, unknown>;
  for (const field of TIME_FIELDS) {
    const value = fields[field];
    if (isDifferences(value)) fields[field] = runningSum(value);
  }
  return stored;
}
