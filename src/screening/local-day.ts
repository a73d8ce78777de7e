// Calendar days in a bank's time zone for the investigator view: where a local day starts
// and ends in UTC, the local day of an instant, and the per-hour and per-day series of the
// charts over such a day.

const DAY = 86_400_000;

/** Offset of a time zone from UTC at an instant, in ms. */
function zoneOffset(at: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(at)
      .map((p) => [p.type, Number(p.value)]),
  ) as Record<string, number>;
  const asUtc = Date.UTC(
    parts['year']!,
    parts['month']! - 1,
    parts['day']!,
    parts['hour']!,
    parts['minute']!,
  );
  return asUtc - Math.floor(at.getTime() / 60_000) * 60_000;
}

/** Midnight of a calendar day in a time zone. */
export function localMidnight(day: string, timeZone: string): Date {
  const utcMidnight = new Date(`${day}T00:00:00Z`).getTime();
  const first = utcMidnight - zoneOffset(new Date(utcMidnight), timeZone);
  return new Date(utcMidnight - zoneOffset(new Date(first), timeZone));
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function localDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

export function hours(rows: { hour: Date; alerts: number }[], from: Date): number[] {
  const counts = new Array<number>(24).fill(0);
  for (const row of rows) {
    const h = Math.floor((row.hour.getTime() - from.getTime()) / 3_600_000);
    if (h >= 0 && h < 24) counts[h] = row.alerts;
  }
  return counts;
}

/** The 14 calendar days up to and including `last`, each with its figures (zero when none). */
export function days(
  rows: { day: string; alerts: number; resolved: number; precision: number | null }[],
  last: string,
): { day: string; alerts: number; resolved: number; precision: number | null }[] {
  const byDay = new Map(rows.map((row) => [row.day, row]));
  const end = Date.parse(`${last}T00:00:00Z`);
  return Array.from({ length: 14 }, (_, i) => {
    const day = new Date(end - (13 - i) * DAY).toISOString().slice(0, 10);
    return byDay.get(day) ?? { day, alerts: 0, resolved: 0, precision: null };
  });
}
