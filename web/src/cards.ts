// Renders decrypted payloads as chat cards. Payload shapes (from the bank bot) are read
// leniently: snake_case or UK Open Banking style ({Amount, Currency}); anything unknown falls
// back to a plain list of its fields. Every value goes in as text, never as HTML.

type Obj = Record<string, unknown>;

export interface CardActions {
  postback(payload: string, label: string): void;
  answerAlert(alertId: string, yes: boolean): void;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

export function money(v: unknown): string {
  if (!isObj(v)) return str(v);
  const amount = v['amount'] ?? v['Amount'];
  const currency = str(v['currency'] ?? v['Currency']);
  const n = Number(amount);
  if (!Number.isFinite(n)) return `${str(amount)} ${currency}`.trim();
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency || 'EUR' }).format(n);
  } catch {
    return `${str(amount)} ${currency}`;
  }
}

function field(o: Obj, ...names: string[]): unknown {
  for (const n of names) if (o[n] !== undefined) return o[n];
  return undefined;
}

function when(v: unknown): string {
  const d = new Date(str(v));
  return Number.isNaN(d.getTime())
    ? str(v)
    : d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

function balance(p: Obj): HTMLElement {
  const accounts = (field(p, 'accounts') as Obj[] | undefined) ?? [p];
  return h(
    'ul',
    { class: 'figures' },
    ...accounts.map((a) =>
      h(
        'li',
        {},
        h('span', { class: 'label' }, str(field(a, 'name', 'nickname', 'Nickname', 'id')) || 'Account'),
        h('strong', { class: 'figure' }, money(field(a, 'balance', 'available', 'Amount') ?? a)),
      ),
    ),
  );
}

function transactions(p: Obj, act: CardActions): HTMLElement {
  const list = (field(p, 'transactions', 'Transaction') as Obj[] | undefined) ?? [];
  if (list.length === 0) return h('p', {}, 'No recent transactions.');
  return h(
    'ul',
    { class: 'tx-list' },
    ...list.map((t) => {
      const id = str(field(t, 'id', 'TransactionId'));
      const desc = str(field(t, 'description', 'merchant', 'TransactionInformation')) || 'Transaction';
      const amt = field(t, 'amount', 'Amount');
      const credit = str(field(t, 'direction', 'CreditDebitIndicator'))
        .toLowerCase()
        .startsWith('credit');
      const b = h(
        'button',
        {
          type: 'button',
          class: 'tx',
          'aria-label': `${desc}, ${credit ? '' : 'minus '}${money(amt)}. Show details`,
        },
        h('span', { class: 'tx-date' }, when(field(t, 'booked_at', 'date', 'BookingDateTime'))),
        h('span', { class: 'tx-desc' }, desc),
        h('span', { class: `tx-amt${credit ? ' credit' : ''}` }, `${credit ? '+' : '−'}${money(amt)}`),
      );
      b.addEventListener('click', () => act.postback(`TX_DETAIL:${id}`, `Details of ${desc}`));
      return h('li', {}, b);
    }),
  );
}

function details(o: Obj): HTMLElement {
  const dl = h('dl', { class: 'details' });
  for (const [k, v] of Object.entries(o)) {
    const value =
      isObj(v) && ('amount' in v || 'Amount' in v)
        ? money(v)
        : isObj(v) || Array.isArray(v)
          ? JSON.stringify(v)
          : str(v);
    dl.append(h('dt', {}, k.replaceAll('_', ' ')), h('dd', {}, value));
  }
  return dl;
}

function cards(p: Obj, act: CardActions): HTMLElement {
  const list = (field(p, 'cards') as Obj[] | undefined) ?? (isObj(p['card']) ? [p['card'] as Obj] : []);
  const ul = h(
    'ul',
    { class: 'card-list' },
    ...list.map((c) => {
      const id = str(field(c, 'id', 'card_id'));
      const frozen = field(c, 'frozen', 'status') === true || field(c, 'status') === 'frozen';
      const name = `${str(field(c, 'name', 'brand')) || 'Card'} ···· ${str(field(c, 'last4', 'masked_pan'))}`;
      const b = h('button', { type: 'button', class: 'secondary' }, frozen ? 'Unfreeze' : 'Freeze');
      b.addEventListener('click', () =>
        act.postback(
          `${frozen ? 'UNFREEZE_CARD' : 'FREEZE_CARD'}:${id}`,
          `${frozen ? 'Unfreeze' : 'Freeze'} ${name}`,
        ),
      );
      return h(
        'li',
        {},
        h('span', {}, name),
        h('span', { class: `pill${frozen ? ' frozen' : ''}` }, frozen ? 'Frozen' : 'Active'),
        b,
      );
    }),
  );
  const text = str(field(p, 'text'));
  return text ? h('div', {}, h('p', { class: 'card-text' }, text), ul) : ul;
}

function alert(p: Obj, alertId: string, act: CardActions): HTMLElement {
  const yes = h('button', { type: 'button' }, 'Yes, it was me');
  const no = h('button', { type: 'button', class: 'danger' }, 'No — freeze my card');
  yes.addEventListener('click', () => act.answerAlert(alertId, true));
  no.addEventListener('click', () => act.answerAlert(alertId, false));
  return h(
    'div',
    { class: 'alert' },
    h('p', {}, str(field(p, 'question')) || 'Was this you?'),
    details(Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'question' && k !== 'alert_id'))),
    h('div', { class: 'row' }, yes, no),
  );
}

/** The body of a card for a header type and payload; also records card ids it saw. */
export function renderPayload(
  type: string,
  payload: unknown,
  headerId: string,
  act: CardActions,
  seenCards: Set<string>,
): HTMLElement {
  const p: Obj = isObj(payload) ? payload : { value: payload };
  for (const c of (field(p, 'cards') as Obj[] | undefined) ?? (isObj(p['card']) ? [p['card'] as Obj] : []))
    if (c?.['id']) seenCards.add(String(c['id']));
  switch (type) {
    case 'balance':
      return balance(p);
    case 'transactions':
      return transactions(p, act);
    case 'transaction':
      return details(isObj(p['transaction']) ? (p['transaction'] as Obj) : p);
    case 'cards':
    case 'card':
    case 'card_status':
      return cards(p, act);
    case 'alert':
      return alert(p, str(field(p, 'alert_id')) || headerId, act);
    default:
      return details(p);
  }
}

export const TITLES: Record<string, string> = {
  balance: 'Balance',
  transactions: 'Recent transactions',
  transaction: 'Transaction details',
  cards: 'Your cards',
  card: 'Card',
  card_status: 'Card',
  alert: 'Was this you?',
  receipt: 'Receipt',
};
