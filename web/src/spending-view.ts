// Spending questions on the device: fetch the sealed debits when the device does not hold
// them yet (the normal sealed path), then answer from them here. Nothing of the question or
// the answer goes to the relay.
import { api } from './api.ts';
import { h } from './cards.ts';
import { bubble, say } from './conversation.ts';
import { time } from './format.ts';
import { remember } from './history.ts';
import { answerSpending, dataSince, type SpendingQuestion } from './spending.ts';
import { activeLink, bankName, ledger, state } from './state.ts';

export function showSpending(q: SpendingQuestion, bank: string, at: number): void {
  const { title: heading, body } = answerSpending(q, ledger.between(bank, q.period.from, q.period.to));
  const complete = ledger.complete(bank);
  const card = h(
    'article',
    { class: 'card local' },
    h('h2', { class: 'card-title' }, heading),
    body,
    complete ? null : h('p', { class: 'small' }, 'Based on your latest 1,000 payments.'),
    h(
      'footer',
      { class: 'marks' },
      h('span', { class: 'mark device', 'data-computed': 'device' }, '✓ Worked out on this device'),
      h(
        'details',
        { class: 'more' },
        h('summary', {}, 'Details'),
        h(
          'p',
          {},
          `From payments ${bankName(bank)} sealed to this device. The chat service passes on only sealed data: it never sees your question's answer.`,
        ),
      ),
    ),
  );
  const li = bubble(bank, 'bot local', card, h('span', { class: 'time' }, time(at)));
  li.dataset['type'] = `spending-${q.kind}`;
}

export async function askSpending(q: SpendingQuestion, bank: string, text: string): Promise<void> {
  say(text, 'me', true, bank);
  const since = dataSince(q.period);
  if (!ledger.covers(bank, since)) {
    if (!activeLink(bank) || !state.reg) {
      say(
        `This chat has no current link to ${bankName(bank)}, so it cannot fetch your payments.`,
        'notice',
        false,
        bank,
      );
      return;
    }
    const waiting = say(
      `Getting your payments from ${bankName(bank)}, sealed to this device…`,
      'system',
      false,
      bank,
    );
    // Listen before asking: the sealed data can arrive before the answer to the request.
    const arrived = ledger.waitFor(bank, since, 60_000);
    const status = (
      await api.send(state.reg.token, { bank, postback: `SPENDING_DATA:${since}` }).catch(() => undefined)
    )?.status;
    if (status !== 'answered' || !(await arrived)) {
      waiting.querySelector('p')!.textContent =
        `${bankName(bank)} did not send your payments. Please try again.`;
      return;
    }
    waiting.remove();
  }
  showSpending(q, bank, Date.now());
  remember({ id: crypto.randomUUID(), bank, kind: 'spending', text, at: Date.now() });
}
