// Parameter schemas shared by the gateway's routes.
export const bankIdParam = {
  type: 'string',
  pattern: '^[a-z][a-z0-9-]{1,31}$',
  description: 'Bank (tenant) id',
} as const;
export const accountIdParam = {
  type: 'string',
  pattern: '^[A-Za-z0-9_-]{1,40}$',
  description: 'Account id (OB AccountId)',
} as const;
