// How a bank's own pages look and tell time: its colour, a logo mark drawn from its name,
// and the time zone its customers read dates in. The demo banks have theirs (the same
// colours and round mark as in the web chat, web/src/brands.ts); any other bank gets a
// neutral navy and its region's time zone, else UTC.
import { DEMO_BANKS, regionFor } from '../bank/index.ts';

export interface BankBrand {
  /** Header and button colour; white text on it meets WCAG AA (4.5:1). */
  colour: string;
  /** IANA time zone for dates on the bank's pages. */
  timeZone: string;
  /** Words for that zone, e.g. "UK time". */
  zoneName: string;
}

const DEMO_BRANDS: Record<string, BankBrand> = {
  northwind: { colour: '#1f3a93', timeZone: 'Europe/London', zoneName: 'UK time' },
  fjord: { colour: '#0b7a75', timeZone: 'Europe/Berlin', zoneName: 'Central European time' },
};

const COUNTRY_ZONES: Record<string, Pick<BankBrand, 'timeZone' | 'zoneName'>> = {
  GB: { timeZone: 'Europe/London', zoneName: 'UK time' },
  DE: { timeZone: 'Europe/Berlin', zoneName: 'Central European time' },
};

export function bankBrand(bankId: string): BankBrand {
  const known = DEMO_BRANDS[bankId];
  if (known) return known;
  const zone = COUNTRY_ZONES[regionFor(bankId).country] ?? { timeZone: 'UTC', zoneName: 'UTC' };
  return { colour: '#1d3a5f', ...zone };
}

/** The brand of the bank with this display name (the screens know banks by name). */
export function brandByName(bankName: string): BankBrand {
  return bankBrand(DEMO_BANKS.find((b) => b.name === bankName)?.id ?? '');
}

function initials(bankName: string): string {
  const words = bankName.split(/\s+/).filter((w) => /^\p{L}/u.test(w) && !/^bank$/i.test(w));
  return (words[0]?.[0] ?? bankName[0] ?? '?').toUpperCase();
}

/** The bank's logo mark: its initial in a circle of its colour, on a white ring (inline SVG). */
export function logoMark(bankName: string, colour: string, size = 32): string {
  const letter = initials(bankName).replace(/[^\p{L}\p{N}]/gu, '?');
  return `<svg class="logo" aria-hidden="true" focusable="false" width="${size}" height="${size}" viewBox="0 0 32 32"><circle cx="16" cy="16" r="16" fill="#fff"/><circle cx="16" cy="16" r="13.5" fill="${colour}"/><text x="16" y="22" text-anchor="middle" font-family="system-ui,sans-serif" font-size="17" font-weight="700" fill="#fff">${letter}</text></svg>`;
}

/** The same mark as a favicon (data: URL; the pages' CSP allows data: images). */
export function faviconHref(bankName: string, colour: string): string {
  const letter = initials(bankName).replace(/[^\p{L}\p{N}]/gu, '?');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="16" fill="${colour}"/><text x="16" y="23" text-anchor="middle" font-family="sans-serif" font-size="19" font-weight="700" fill="#fff">${letter}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/** "Monday 30 November 2026", "14:05" and the calendar day key, in the bank's time zone. */
export function localParts(at: Date, timeZone: string): { day: string; dayKey: string; time: string } {
  const day = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(at);
  const dayKey = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
  const time = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
  return { day, dayKey, time };
}

/** "Today", "Yesterday" or the day in words, relative to `now`, in the bank's time zone. */
export function dayHeading(at: Date, now: Date, timeZone: string): string {
  const { day, dayKey } = localParts(at, timeZone);
  if (dayKey === localParts(now, timeZone).dayKey) return `Today, ${withoutWeekday(day)}`;
  if (dayKey === localParts(new Date(now.getTime() - 86_400_000), timeZone).dayKey)
    return `Yesterday, ${withoutWeekday(day)}`;
  return day.replace(',', '');
}

/** "30 November 2026" from "Monday, 30 November 2026". */
export function withoutWeekday(day: string): string {
  return day.replace(/^\p{L}+,? /u, '');
}

/** "30 November 2026 at 14:05" in the bank's time zone. */
export function dateAndTime(at: Date, timeZone: string): string {
  const p = localParts(at, timeZone);
  return `${withoutWeekday(p.day)} at ${p.time}`;
}
