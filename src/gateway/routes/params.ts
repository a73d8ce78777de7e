// Parameter schemas shared by the gateway's routes (the bank id is src/http's, for every context).
export { bankIdParam, bankParams } from '../../http/index.ts';

export const accountIdParam = {
  type: 'string',
  pattern: '^[A-Za-z0-9_-]{1,40}$',
  description: 'Account id (OB AccountId)',
} as const;
