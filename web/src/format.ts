// Words a customer reads instead of codes: local date and time, country names, how a payment
// was made. All from the browser's own locale (Intl), nothing hard-coded per country.
const locale = (): string | undefined => (typeof navigator === 'undefined' ? undefined : navigator.language);

export function dateTime(value: unknown): string {
  const d = new Date(String(value));
  if (Number.isNaN(d.getTime())) return String(value ?? '');
  return new Intl.DateTimeFormat(locale(), {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: 'numeric',
    minute: '2-digit',
  }).format(d);
}

export function shortDate(value: unknown): string {
  const d = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(d.getTime())) return String(value ?? '');
  return d.toLocaleDateString(locale(), { day: 'numeric', month: 'short' });
}

export function time(value: number | Date): string {
  return new Date(value).toLocaleTimeString(locale(), { hour: 'numeric', minute: '2-digit' });
}

export function countryName(code: unknown): string {
  const c = String(code ?? '').trim();
  if (!/^[A-Za-z]{2}$/.test(c)) return c;
  try {
    return (
      new Intl.DisplayNames(locale() ? [locale()!] : undefined, { type: 'region' }).of(c.toUpperCase()) ?? c
    );
  } catch {
    return c;
  }
}

const CHANNELS: Record<string, string> = {
  pos: 'in store',
  'card present': 'in store',
  contactless: 'contactless, in store',
  chip: 'in store, with chip and PIN',
  ecom: 'online',
  online: 'online',
  'card not present': 'online',
  'card online': 'online',
  atm: 'at a cash machine',
  moto: 'by phone or mail order',
  recurring: 'a regular payment',
  transfer: 'a bank transfer',
  'direct debit': 'a direct debit',
  'standing order': 'a standing order',
};

export function channelWords(channel: unknown): string {
  const c = String(channel ?? '')
    .toLowerCase()
    .replaceAll('_', ' ')
    .trim();
  return CHANNELS[c] ?? c;
}

export function categoryWords(category: unknown): string {
  const c = String(category ?? '').replaceAll('_', ' ');
  return c ? c[0]!.toUpperCase() + c.slice(1) : 'Other';
}
