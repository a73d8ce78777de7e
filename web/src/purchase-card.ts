// A purchase notification as the customer reads it, in one line: "£12.40 at Tesco, debit
// card ending 1234, 14:05" — the amount first, where, with which card (or from which account
// for a transfer), and the local time; "pending" while a card payment is not settled yet.
import { cardName, field, formatMoney, h, isObj, type Obj, str } from './cards.ts';
import { categoryWords, time } from './format.ts';

/** The sentence of a notification (also what a screen reader reads). */
export function purchaseSentence(p: Obj): string {
  const amount = isObj(p['amount']) ? (p['amount'] as Obj) : {};
  const n = Math.abs(Number(field(amount, 'amount', 'Amount')));
  const figure = Number.isFinite(n) ? formatMoney(n, str(field(amount, 'currency', 'Currency'))) : '';
  const credit = str(field(p, 'direction')) === 'credit';
  const merchant = str(field(p, 'merchant'));
  const account = str(field(p, 'account'));
  const named = isObj(p['card']) ? cardName(p['card'] as Obj) : '';
  const how = named
    ? named.charAt(0).toLowerCase() + named.slice(1)
    : account
      ? `${credit ? 'into' : 'from'} ${account}`
      : '';
  const at = new Date(str(field(p, 'time')));
  const when = Number.isNaN(at.getTime()) ? '' : time(at);
  // A merchant when the purpose releases one; otherwise what kind of payment it was.
  const lead = merchant
    ? `${figure} ${credit ? 'from' : 'at'} ${merchant}`
    : `${figure} ${categoryWords(field(p, 'category')).toLowerCase()}`;
  return [lead, how, when].filter(Boolean).join(', ');
}

export function purchaseCard(p: Obj): HTMLElement {
  const credit = str(field(p, 'direction')) === 'credit';
  const pending = str(field(p, 'status')).toLowerCase() === 'pending';
  return h(
    'div',
    { class: 'purchase' },
    h('p', { class: 'purchase-line' }, purchaseSentence(p)),
    h(
      'p',
      { class: 'small' },
      credit ? 'Money in.' : pending ? 'Card payment, pending.' : 'Payment made.',
      ' ',
      "If you don't recognise it, ask me to freeze your card.",
    ),
  );
}
