// The sealed receipt from the bank (Messenger receipt-template fields, docs/checkout.md):
// who it is for, the order, its lines, the total, how it was paid and from which account,
// and the bank's reference. Opened and signature-checked on this device (envelopes.ts).
import { field, formatMoney, h, isObj, type Obj, str } from './cards.ts';
import { dateTime } from './format.ts';

function when(p: Obj): string {
  const t = field(p, 'timestamp');
  const n = Number(t);
  return Number.isFinite(n) && n > 0 ? dateTime(new Date(n * 1000).toISOString()) : dateTime(t);
}

export function receiptCard(p: Obj, refund: boolean): HTMLElement {
  const currency = str(field(p, 'currency'));
  const summary = isObj(p['summary']) ? (p['summary'] as Obj) : {};
  const total = Number(field(summary, 'total_cost'));
  const elements = Array.isArray(p['elements']) ? (p['elements'] as Obj[]) : [];
  const paidFrom = isObj(p['paid_from']) ? (p['paid_from'] as Obj) : undefined;
  const account = paidFrom
    ? `${str(field(paidFrom, 'nickname')) || 'Account'} ••${str(field(paidFrom, 'last4'))}`
    : str(field(p, 'refunded_to'));
  const rows: [string, string][] = [
    ['Order', str(field(p, 'order_number'))],
    ['For', str(field(p, 'recipient_name'))],
    [refund ? 'Refunded to' : 'Paid with', str(field(p, 'payment_method')) || account],
    ...(paidFrom && str(field(p, 'payment_method')) !== account
      ? [['From account', account] as [string, string]]
      : []),
    ['Bank reference', str(field(p, 'bank_reference'))],
    ['When', when(p)],
  ];
  return h(
    'div',
    { class: 'receipt', 'data-order-number': str(field(p, 'order_number')) },
    h(
      'p',
      { class: 'lead receipt-head' },
      h(
        'span',
        {},
        refund
          ? `Refund from ${str(field(p, 'merchant_name')) || 'the shop'}`
          : `Paid to ${str(field(p, 'merchant_name'))}`,
      ),
      h(
        'strong',
        { class: `receipt-total${refund ? ' refund' : ''}` },
        // A refund is money back: shown as a plus, whatever sign the bank's summary uses.
        Number.isFinite(total)
          ? `${refund ? '+' : ''}${formatMoney(refund ? Math.abs(total) : total, currency)}`
          : '',
      ),
    ),
    elements.length
      ? h(
          'ul',
          { class: 'receipt-lines' },
          ...elements.map((e) =>
            h(
              'li',
              {},
              h('span', {}, `${str(field(e, 'quantity')) || '1'} × ${str(field(e, 'title'))}`),
              h(
                'span',
                { class: 'amt' },
                formatMoney(
                  Number(field(e, 'price')) * Number(field(e, 'quantity') ?? 1),
                  str(field(e, 'currency')) || currency,
                ),
              ),
            ),
          ),
        )
      : null,
    h(
      'dl',
      { class: 'details receipt-details' },
      ...rows.filter(([, v]) => v).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
  );
}
