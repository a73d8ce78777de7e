// Renders decrypted payloads as chat cards. Payload shapes (from the bank bot) are read
// leniently: snake_case or UK Open Banking style ({Amount, Currency}); anything unknown falls
// back to a plain list of its fields. Every value goes in as text, never as HTML.
import { alertCard } from './alert-card.ts';
import { dateTime, shortDate } from './format.ts';
import { purchaseCard } from './purchase-card.ts';
import { receiptCard } from './receipt-card.ts';

export type Obj = Record<string, unknown>;

export interface CardActions {
  postback(payload: string, label: string): void;
  answerAlert(alertId: string, yes: boolean, cardName: string): Promise<boolean>;
  /** The outcome already given to an alert on this device, if any. */
  alertAnswer(alertId: string): 'yes' | 'no' | undefined;
  confirm(o: { title: string; text: string; action: string; danger?: boolean }): Promise<boolean>;
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

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

export function formatMoney(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency || 'EUR' }).format(
      amount,
    );
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

export function money(v: unknown): string {
  if (!isObj(v)) return str(v);
  const amount = v['amount'] ?? v['Amount'];
  const currency = str(v['currency'] ?? v['Currency']);
  const n = Number(amount);
  if (!Number.isFinite(n)) return `${str(amount)} ${currency}`.trim();
  return formatMoney(n, currency);
}

/** The amount without its sign (the words around it say which way it goes). */
function unsigned(v: unknown): string {
  if (!isObj(v)) return str(v);
  const n = Math.abs(Number(v['amount'] ?? v['Amount']));
  return Number.isFinite(n) ? formatMoney(n, str(v['currency'] ?? v['Currency'])) : money(v);
}

export function field(o: Obj, ...names: string[]): unknown {
  for (const n of names) if (o[n] !== undefined) return o[n];
  return undefined;
}

const ACCOUNT_TYPES: Record<string, string> = {
  current: 'Current account',
  savings: 'Savings account',
  credit_card: 'Credit card',
};

function balance(p: Obj, bank: string): HTMLElement {
  const accounts = (field(p, 'accounts') as Obj[] | undefined) ?? [p];
  const asOf = field(p, 'as_of', 'asOf');
  return h(
    'div',
    {},
    h('p', { class: 'lead' }, `Here are your balances at ${bank}.`),
    h(
      'ul',
      { class: 'figures' },
      ...accounts.map((a) => {
        const type = str(field(a, 'type'));
        const name = str(field(a, 'name', 'nickname', 'Nickname', 'id')) || 'Account';
        const figure = field(a, 'balance', 'available', 'Amount') ?? a;
        const owed = field(a, 'owed');
        const kind = ACCOUNT_TYPES[type] && ACCOUNT_TYPES[type] !== name ? ACCOUNT_TYPES[type] : '';
        const label = h('span', { class: 'label' }, name, kind ? h('small', {}, kind) : null);
        if (type === 'credit_card')
          return h(
            'li',
            { class: 'credit' },
            label,
            h(
              'span',
              { class: 'figure-group' },
              owed !== undefined ? h('strong', { class: 'figure owed' }, `${unsigned(owed)} owed`) : null,
              h('span', { class: 'figure available' }, `${unsigned(figure)} available to spend`),
            ),
          );
        return h(
          'li',
          {},
          label,
          h(
            'span',
            { class: 'figure-group' },
            h('strong', { class: 'figure' }, money(figure)),
            h('span', { class: 'figure-note' }, 'available'),
          ),
        );
      }),
    ),
    asOf ? h('p', { class: 'as-of' }, `As of ${dateTime(asOf)}`) : null,
  );
}

function transactions(p: Obj, act: CardActions): HTMLElement {
  const list = (field(p, 'transactions', 'Transaction') as Obj[] | undefined) ?? [];
  const account = str(field(p, 'account'));
  const lead = h(
    'p',
    { class: 'lead' },
    list.length
      ? `Your latest ${list.length} payments${account ? ` on your ${account}` : ''}. Tap one for details.`
      : `No recent transactions${account ? ` on your ${account}` : ''}.`,
  );
  if (list.length === 0) return lead;
  return h(
    'div',
    {},
    lead,
    h(
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
            'aria-label': `${desc}, ${credit ? '' : 'minus '}${unsigned(amt)}. Show details`,
          },
          h('span', { class: 'tx-date' }, shortDate(field(t, 'booked_at', 'date', 'BookingDateTime'))),
          h('span', { class: 'tx-desc' }, desc, field(t, 'pending') ? h('small', {}, ' pending') : null),
          h('span', { class: `tx-amt${credit ? ' credit' : ''}` }, `${credit ? '+' : '−'}${unsigned(amt)}`),
        );
        b.addEventListener('click', () => act.postback(`TX_DETAIL:${id}`, `Details of ${desc}`));
        return h('li', {}, b);
      }),
    ),
  );
}

function transaction(t: Obj): HTMLElement {
  const rows: [string, string][] = [
    ['Amount', money(field(t, 'amount'))],
    ['When', dateTime(field(t, 'date', 'booked_at'))],
    ['Status', str(field(t, 'status')) === 'pending' ? 'Pending' : 'Completed'],
    ['Category', str(field(t, 'category')).replaceAll('_', ' ')],
  ];
  const channel = str(field(t, 'channel'));
  if (channel) rows.push(['How', channel]);
  const dl = h('dl', { class: 'details' });
  for (const [k, v] of rows) if (v) dl.append(h('dt', {}, k), h('dd', {}, v));
  return h('div', {}, h('p', { class: 'lead' }, str(field(t, 'merchant', 'description')) || 'Payment'), dl);
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

export function cardName(c: Obj): string {
  return `${str(field(c, 'type', 'name', 'brand')) || 'Card'} ending ${str(field(c, 'last4', 'masked_pan'))}`;
}

function cards(p: Obj, act: CardActions): HTMLElement {
  const list = (field(p, 'cards') as Obj[] | undefined) ?? (isObj(p['card']) ? [p['card'] as Obj] : []);
  const ul = h(
    'ul',
    { class: 'card-list' },
    ...list.map((c) => {
      const id = str(field(c, 'id', 'card_id'));
      const frozen = field(c, 'frozen', 'status') === true || field(c, 'status') === 'frozen';
      const name = cardName(c);
      const b = h(
        'button',
        { type: 'button', class: frozen ? 'secondary' : 'secondary danger-text' },
        frozen ? 'Unfreeze' : 'Freeze',
      );
      b.addEventListener('click', async () => {
        const ok = await act.confirm(
          frozen
            ? {
                title: `Unfreeze your ${name}?`,
                text: 'Payments with this card will work again straight away.',
                action: 'Unfreeze card',
              }
            : {
                title: `Freeze your ${name}?`,
                text: 'Nobody will be able to pay with it until you unfreeze it. You can unfreeze it here at any time.',
                action: 'Freeze card',
                danger: true,
              },
        );
        if (ok)
          act.postback(
            `${frozen ? 'UNFREEZE_CARD' : 'FREEZE_CARD'}:${id}`,
            `${frozen ? 'Unfreeze' : 'Freeze'} my ${name}`,
          );
      });
      return h(
        'li',
        {},
        h('span', { class: 'card-name' }, name),
        h('span', { class: `pill${frozen ? ' frozen' : ''}` }, frozen ? 'Frozen' : 'Active'),
        b,
      );
    }),
  );
  const text = str(field(p, 'text'));
  return text ? h('div', {}, h('p', { class: 'lead' }, text), ul) : ul;
}

/** The body of a card for a header type and payload; also records card ids it saw. */
export function renderPayload(
  type: string,
  payload: unknown,
  headerId: string,
  act: CardActions,
  bank: string,
): HTMLElement {
  const p: Obj = isObj(payload) ? payload : { value: payload };
  switch (type) {
    case 'balance':
      return balance(p, bank);
    case 'transactions':
      return transactions(p, act);
    case 'transaction':
      return transaction(isObj(p['transaction']) ? (p['transaction'] as Obj) : p);
    case 'cards':
    case 'card':
    case 'card_status':
      return cards(p, act);
    case 'alert':
      return alertCard(p, str(field(p, 'alert_id')) || headerId, act);
    case 'receipt':
    case 'refund_receipt':
      return receiptCard(p, type === 'refund_receipt');
    case 'transaction_notification':
      return purchaseCard(p);
    default:
      return details(p);
  }
}

export function cardTitle(type: string, payload: unknown): string {
  const p: Obj = isObj(payload) ? payload : {};
  switch (type) {
    case 'balance':
      return 'Balance';
    case 'transactions':
      return p['account'] ? `Recent transactions · ${str(p['account'])}` : 'Recent transactions';
    case 'transaction':
      return 'Payment details';
    case 'cards':
    case 'card':
    case 'card_status':
      return 'Your cards';
    case 'alert':
      return 'Payment check';
    case 'transaction_notification':
      return str(p['direction']) === 'credit' ? 'Money in' : 'New payment';
    case 'receipt':
      return 'Receipt';
    case 'refund_receipt':
      return 'Refund receipt';
    default:
      return type;
  }
}
