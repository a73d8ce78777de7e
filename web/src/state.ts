// The device's state shared by the chat's parts: registration, banks, links, the current
// conversation, and the device's own stores (HPKE keys, replay guard, opened spending data).
import { type JsonWebKeySet, openDeviceKeystore } from '../../src/seal/device.ts';
import type { BankEntry, connectStream, LinkEntry, Registration } from './api.ts';
import { brandOf } from './brands.ts';
import { openReplayGuard } from './replay-guard.ts';
import { Ledger } from './spending.ts';

export const REG_KEY = 'proviso.device';

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export const state = {
  reg: undefined as Registration | undefined,
  banks: [] as BankEntry[],
  links: [] as LinkEntry[],
  bank: undefined as string | undefined,
  jwks: new Map<string, Promise<JsonWebKeySet>>(),
  seen: new Set<string>(),
  stream: undefined as ReturnType<typeof connectStream> | undefined,
  fingerprint: '',
};

export const keystore = await openDeviceKeystore();
export const guard = await openReplayGuard();
export const ledger = new Ledger();

export function bankName(id: string | undefined): string {
  return state.banks.find((b) => b.id === id)?.name ?? id ?? 'your bank';
}
export const brand = (id: string) => brandOf(id, bankName(id));
export const activeLink = (bank: string | undefined) =>
  state.links.find((l) => l.bank === bank && l.status === 'active');
