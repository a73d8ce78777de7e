// Questions the chat asks before anything that cannot be taken back lightly: freeze,
// unfreeze, unlink. A native <dialog> (focus trapped, Escape cancels).
import { h } from './cards.ts';

export function confirmDialog(o: {
  title: string;
  text: string;
  action: string;
  danger?: boolean;
}): Promise<boolean> {
  const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' });
  const yes = h('button', { type: 'button', class: o.danger ? 'danger' : '' }, o.action);
  const no = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  dialog.append(
    h('h2', { id: 'confirm-title' }, o.title),
    h('p', {}, o.text),
    h('div', { class: 'row end' }, no, yes),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    const done = (v: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(v);
    };
    yes.addEventListener('click', () => done(true));
    no.addEventListener('click', () => done(false));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    dialog.showModal();
    no.focus();
  });
}

/** Asks which of several options; resolves to its value or undefined when cancelled. */
export function chooseDialog(
  title: string,
  text: string,
  options: { value: string; label: string }[],
): Promise<string | undefined> {
  const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'choose-title' });
  const list = h('ul', { class: 'bank-list' });
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  dialog.append(
    h('h2', { id: 'choose-title' }, title),
    h('p', {}, text),
    list,
    h('div', { class: 'row end' }, cancel),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    const done = (v: string | undefined) => {
      dialog.close();
      dialog.remove();
      resolve(v);
    };
    for (const o of options) {
      const b = h('button', { type: 'button', class: 'secondary' }, o.label);
      b.addEventListener('click', () => done(o.value));
      list.append(h('li', {}, b));
    }
    cancel.addEventListener('click', () => done(undefined));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(undefined);
    });
    dialog.showModal();
  });
}
