// Linking, unlinking (asked which bank, then confirmed), link details with the device key as
// the consent page shows it, and replacing the device key at every linked bank at once.
import { sealReply } from '../../src/seal/device.ts';
import { api, type Registration } from './api.ts';
import { brandOf } from './brands.ts';
import { h } from './cards.ts';
import { refreshLinks, say, select, statusText } from './conversation.ts';
import { chooseDialog, confirmDialog } from './dialogs.ts';
import { jwksFor } from './envelopes.ts';
import { dateTime } from './format.ts';
import { $, activeLink, bankName, keystore, REG_KEY, state } from './state.ts';

const picker = $<HTMLDialogElement>('bank-picker');

export async function startLink(bankId: string): Promise<void> {
  try {
    const { authorization_url } = await api.startLink(state.reg!.token, bankId);
    location.assign(authorization_url);
  } catch (e) {
    picker.close();
    say(
      `Could not start linking ${bankName(bankId)}: ${e instanceof Error ? e.message : String(e)}`,
      'notice',
      false,
    );
  }
}

export function openPicker(): void {
  const ul = $<HTMLUListElement>('bank-list');
  ul.replaceChildren(
    ...state.banks.map((b) => {
      const br = brandOf(b.id, b.name);
      const linked = !!activeLink(b.id);
      const btn = h(
        'button',
        { type: 'button', class: 'secondary bank-choice', 'aria-label': b.name },
        h('span', { class: 'mark-logo', 'aria-hidden': 'true', style: `background:${br.colour}` }, br.mark),
        h('span', {}, b.name),
        linked ? h('small', {}, 'linked') : null,
      );
      btn.addEventListener('click', () => void startLink(b.id));
      return h('li', {}, btn);
    }),
  );
  if (state.banks.length === 0) ul.append(h('li', {}, 'No banks are available right now.'));
  $('picker-fingerprint').textContent = state.fingerprint;
  picker.showModal();
}

export async function unlink(): Promise<void> {
  const active = state.links.filter((l) => l.status === 'active');
  if (!state.reg || active.length === 0) return void say('No bank is linked.', 'system', false);
  const bank =
    active.length === 1
      ? active[0]!.bank
      : await chooseDialog(
          'Unlink which bank?',
          'This chat will stop seeing that bank’s accounts and cards.',
          [...active]
            .sort((a, b) => (a.bank === state.bank ? -1 : b.bank === state.bank ? 1 : 0))
            .map((l) => ({ value: l.bank, label: bankName(l.bank) })),
        );
  if (!bank) return;
  const name = bankName(bank);
  const ok = await confirmDialog({
    title: `Unlink ${name}?`,
    text: `This chat will no longer see your ${name} accounts or cards, and ${name}'s alerts will reach you only through the bank. You can link again at any time.`,
    action: `Unlink ${name}`,
    danger: true,
  });
  if (!ok) return;
  select(bank);
  say(`Unlink ${name}`, 'me', true, bank);
  try {
    const r = await api.unlink(state.reg.token, bank);
    say(
      `Unlinked ${name}${r.revoked ? `; ${name} confirmed this chat's access has ended.` : '.'}`,
      'system',
      true,
      bank,
    );
  } catch (e) {
    say(`Could not unlink: ${e instanceof Error ? e.message : String(e)}`, 'notice', false, bank);
  }
  await refreshLinks();
}

export function openDetails(): void {
  const bank = state.bank;
  if (!bank) return;
  const link = state.links.find((l) => l.bank === bank);
  const name = bankName(bank);
  const dialog = $<HTMLDialogElement>('link-details');
  const since = link?.linked_at ? dateTime(link.linked_at) : '—';
  $('details-title').textContent = name;
  $('details-list').replaceChildren(
    h('dt', {}, 'Status'),
    h('dd', {}, statusText(link)),
    h('dt', {}, 'Linked since'),
    h('dd', {}, since),
    h('dt', {}, 'This device’s key'),
    h(
      'dd',
      {},
      h('code', { id: 'device-fingerprint', 'data-fingerprint': state.fingerprint }, state.fingerprint),
    ),
  );
  $('details-unlink').hidden = link?.status !== 'active';
  dialog.showModal();
}

export async function register(): Promise<Registration> {
  const key = await keystore.ensure();
  const saved = localStorage.getItem(REG_KEY);
  if (saved) {
    const reg = JSON.parse(saved) as Registration;
    if (reg.thumbprint === key.thumbprint) return reg;
  }
  const r = await api.register(key.publicKey.base64url);
  const reg = { deviceId: r.device_id, token: r.token, thumbprint: r.key_thumbprint };
  localStorage.setItem(REG_KEY, JSON.stringify(reg));
  return reg;
}

/** The consent page's grouping: four groups of four upper-case hex digits. */
export const fingerprintText = (fp: string) => fp.toUpperCase();

/**
 * A new device key for every linked bank at once: each bank gets a request sealed with the
 * CURRENT key (HPKE auth mode), naming the new one; the relay passes them on and switches
 * only when every bank accepted. The old key stays on the device to open older messages.
 */
export async function rotateKey(): Promise<void> {
  $<HTMLDialogElement>('link-details').close();
  if (!state.reg) return;
  const ok = await confirmDialog({
    title: 'Replace this device’s key?',
    text: 'Every linked bank will seal new messages to a new key. Do this if you think the old one was exposed.',
    action: 'Replace key',
  });
  if (!ok) return;
  const old = await keystore.ensure();
  const active = state.links.filter((l) => l.status === 'active' && l.consent);
  try {
    const { current } = await keystore.rotate();
    const requests = await Promise.all(
      active.map(async (l) => {
        const jwks = await jwksFor(l.bank);
        const hpke = jwks.keys.find((k) => k.kty === 'OKP' && k.crv === 'X25519');
        if (!hpke?.x) throw new Error(`${bankName(l.bank)} publishes no sealing key`);
        const request = await sealReply({
          deviceKey: old.keyPair,
          bankPublicKey: hpke.x,
          bankId: l.bank,
          consentCommitment: l.consent!,
          purpose: 'customer_service',
          log: 0,
          inReplyTo: l.consent!,
          type: 'device-key',
          payload: { new_device_key: current.publicKey.base64url },
        });
        return { bank: l.bank, request };
      }),
    );
    const r = await api.rotateKey(state.reg.token, current.publicKey.base64url, requests);
    state.reg = { ...state.reg, thumbprint: r.key_thumbprint };
    localStorage.setItem(REG_KEY, JSON.stringify(state.reg));
    state.fingerprint = fingerprintText(current.fingerprint);
    say(
      `This device has a new key (${state.fingerprint}); ${r.banks.length} bank(s) now seal to it.`,
      'system',
    );
  } catch (e) {
    say(`Could not replace the key: ${e instanceof Error ? e.message : String(e)}`, 'notice', false);
  }
}
