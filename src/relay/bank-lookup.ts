// A bank as the relay knows it (from the gateway's discovery document), with the two ways
// that fails told apart: the directory does not answer (503), or no such bank (404).
import { notFound, Problem } from '../http/index.ts';
import type { BankDirectory } from './directory.ts';
import type { BankInfo } from './platform.ts';

export const bankIdSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: '^[a-z0-9][a-z0-9-]*$',
} as const;

export function directoryUnavailable(): Problem {
  return new Problem(
    503,
    'gateway-unavailable',
    'Bank directory unavailable',
    'the bank gateway does not answer',
  );
}

export async function bankOrThrow(directory: BankDirectory, id: string): Promise<BankInfo> {
  let bank: BankInfo | undefined;
  try {
    bank = await directory.get(id);
  } catch {
    throw directoryUnavailable();
  }
  if (!bank) throw notFound('bank', `no bank '${id}' is known to this relay`);
  return bank;
}

export function endedNotice(bank: BankInfo | undefined, bankId: string): string {
  return `This link to ${bank?.name ?? bankId} has ended. Link again?`;
}
