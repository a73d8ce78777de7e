// The merchant's two HTML pages: the one the shopper's approval tab lands on after the bank
// (it says what happened and closes itself when the chat opened it), and the staff orders page.
import type { Merchant } from './catalogue.ts';
import { pictureUri } from './pictures.ts';
import type { Order } from './store.ts';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f5f2;color:#1d1d1f}
main{max-width:960px;margin:0 auto;padding:24px 16px}
h1{font-size:1.4rem;margin:.2rem 0 1rem}
.card{background:#fff;border-radius:14px;padding:20px;box-shadow:0 1px 3px #0002}
.mark{font-size:2rem}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:12px;overflow:hidden}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid #eee;vertical-align:top}
th{background:#fafafa;font-weight:600;font-size:.85rem;color:#555}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.st{display:inline-block;border-radius:999px;padding:1px 9px;font-size:.85rem;font-weight:600}
.paid{background:#e3f5e8;color:#17612d}.pending{background:#fff4d6;color:#7a5600}
.rejected{background:#fde7e7;color:#9b1c1c}.refunded{background:#e8eefc;color:#23479b}
button{font:inherit;border:0;border-radius:8px;padding:5px 12px;background:#23479b;color:#fff;cursor:pointer}
.small{font-size:.85rem;color:#555}
@media (max-width:600px){thead{display:none}table,tbody,tr,td{display:block;width:100%}tr{padding:8px 0;border-bottom:1px solid #eee}td{border:0;padding:3px 12px}td.num{text-align:left}td:empty{display:none}}`;

function page(title: string, body: string, script = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main>${script ? `<script>${script}</script>` : ''}</body></html>`;
}

const OUTCOME: Record<string, string> = {
  paid: 'Payment approved — thank you! Your receipt is in the chat.',
  pending: 'Your payment is being confirmed. You can go back to the chat.',
  refunded: 'This order was refunded.',
  'insufficient-funds': 'Your bank could not make this payment. Nothing was charged.',
  declined: 'You declined the payment at your bank. Nothing was charged.',
  'approval-timed-out': 'The approval took too long, so the order was cancelled. Nothing was charged.',
  'account-frozen': 'Your bank could not use this account or card right now. Nothing was charged.',
  'payment-failed': 'The payment did not go through. Nothing was charged.',
};

export function callbackPage(merchant: Merchant, order: Order, chatUrl: string): string {
  const key = order.status === 'rejected' ? (order.reason ?? 'payment-failed') : order.status;
  const text = OUTCOME[key] ?? OUTCOME['payment-failed']!;
  const body = `<div class="card" data-order-status="${escapeHtml(order.status)}"><p><img src="${pictureUri(merchant.logo.kind, merchant.logo.colour)}" alt="" width="56" height="56"></p><h1>${escapeHtml(merchant.name)}</h1><p id="outcome">${escapeHtml(text)}</p><p class="small">Order ${escapeHtml(order.id)} · ${escapeHtml(order.amount)} ${escapeHtml(order.currency)}</p><p><a href="${escapeHtml(chatUrl)}">Back to the chat</a></p></div>`;
  // Opened by the chat as its own tab: close it so the shopper is back in the conversation.
  return page(merchant.name, body, 'if (window.opener) setTimeout(function(){window.close()}, 1500);');
}

export function ordersPage(merchant: Merchant, orders: Order[]): string {
  const rows = orders
    .map((order) => {
      const items = order.items.map((i) => `${i.quantity} × ${escapeHtml(i.name)}`).join('<br>');
      const refund =
        order.status === 'paid'
          ? `<button type="button" data-refund="/merchants/${merchant.id}/staff/orders/${order.id}/refund">Refund</button>`
          : '';
      const reason =
        order.status === 'rejected' && order.reason
          ? `<br><span class="small">${escapeHtml(order.reason)}</span>`
          : '';
      return `<tr data-order="${order.id}"><td>${order.created_at.toISOString().slice(0, 16).replace('T', ' ')}<br><span class="small">${order.id}</span></td><td class="items">${items}</td><td class="num">${escapeHtml(order.amount)} ${order.currency}</td><td>${escapeHtml(order.bank_id)}</td><td><span class="st ${order.status}">${order.status}</span>${reason}</td><td>${order.confirmation_jws ? '✓ signed by the bank' : ''}</td><td>${refund}</td></tr>`;
    })
    .join('');
  const body = `<h1>${escapeHtml(merchant.name)} — orders</h1><p class="small">What this merchant knows about each order: the items, the amount, the bank it was paid through, the status and the bank's signed confirmation. Never the customer's name, account or balance.</p><table><thead><tr><th>placed</th><th class="items">items</th><th>amount</th><th>bank</th><th>status</th><th>confirmation</th><th></th></tr></thead><tbody>${rows || '<tr><td colspan="7">No orders yet.</td></tr>'}</tbody></table>`;
  const script =
    "document.addEventListener('click',function(e){var b=e.target.closest('[data-refund]');if(!b)return;b.disabled=true;fetch(b.dataset.refund,{method:'POST'}).then(function(){location.reload()})});";
  return page(`${merchant.name} — orders`, body, script);
}
