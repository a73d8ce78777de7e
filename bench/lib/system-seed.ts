// The seeded demo bank the alert benchmark's system runs on; the load generator regenerates
// the same customers from it to know their cards.
export const SYSTEM_SEED = { seed: 1, days: 30, end: new Date('2026-11-01T00:00:00Z') };
