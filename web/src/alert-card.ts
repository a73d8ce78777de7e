// "Was this you?" — a fraud alert as a customer reads it: which card, how much, where (merchant
// and country in words), how (in store, online…), when (local time), at most two reasons in
// plain words, and the question once. After an answer the buttons give way to the outcome.
import { type CardActions, cardName, field, h, isObj, money, type Obj, str } from './cards.ts';
import { channelWords, countryName, dateTime } from './format.ts';

const MAX_REASONS = 2;

function reasons(p: Obj): string[] {
  const given = field(p, 'reasons');
  if (Array.isArray(given)) {
    const plain = given.filter((r): r is string => typeof r === 'string' && r.trim() !== '');
    if (plain.length) return plain.slice(0, MAX_REASONS);
  }
  return str(field(p, 'why')).split(/;\s*/).filter(Boolean).slice(0, MAX_REASONS);
}

export function outcomeText(answer: 'yes' | 'no', card: string): string {
  return answer === 'yes'
    ? '✓ You said this payment was yours. Nothing else to do.'
    : `You said this wasn't you. Your ${card} is being frozen and the bank will be in touch.`;
}

function outcome(answer: 'yes' | 'no', card: string): HTMLElement {
  return h(
    'p',
    { class: `outcome ${answer}`, 'data-answer': answer, role: 'status' },
    outcomeText(answer, card),
  );
}

export function alertCard(p: Obj, alertId: string, act: CardActions): HTMLElement {
  // Mid-sentence: "your credit card ending 5176".
  const named = isObj(p['card']) ? cardName(p['card'] as Obj) : 'card';
  const card = named.charAt(0).toLowerCase() + named.slice(1);
  const place = countryName(field(p, 'place', 'country'));
  const how = channelWords(field(p, 'channel'));
  const merchant = str(field(p, 'merchant')) || 'an unknown merchant';
  const why = reasons(p);
  const answered = act.alertAnswer(alertId);
  const answer = h('div', { class: 'answer' });
  if (answered) answer.append(outcome(answered, card));
  else {
    const yes = h('button', { type: 'button' }, 'Yes, it was me');
    const no = h('button', { type: 'button', class: 'danger' }, 'No — freeze my card');
    const status = h('p', { class: 'small', role: 'status' });
    const reply = async (v: boolean) => {
      yes.disabled = true;
      no.disabled = true;
      status.textContent = 'Sending your answer, sealed to the bank…';
      if (await act.answerAlert(alertId, v, card)) answer.replaceChildren(outcome(v ? 'yes' : 'no', card));
      else {
        yes.disabled = false;
        no.disabled = false;
        status.textContent = 'Your answer did not reach the bank. Please try again.';
      }
    };
    yes.addEventListener('click', () => void reply(true));
    no.addEventListener('click', () => void reply(false));
    answer.append(
      h('p', { class: 'question' }, 'Was this you?'),
      h('div', { class: 'row' }, yes, no),
      status,
    );
  }
  return h(
    'div',
    { class: 'alert' },
    h(
      'p',
      { class: 'lead' },
      isObj(p['card']) ? `We'd like to check a payment on your ${card}.` : "We'd like to check a payment.",
    ),
    h('p', { class: 'alert-amount' }, money(field(p, 'amount'))),
    h('p', { class: 'alert-where' }, [merchant, how, place].filter(Boolean).join(' · ')),
    h('p', { class: 'alert-when' }, dateTime(field(p, 'time'))),
    why.length
      ? h(
          'div',
          { class: 'why' },
          h('p', {}, 'Why we are asking'),
          h('ul', {}, ...why.map((r) => h('li', {}, r))),
        )
      : null,
    answer,
  );
}
