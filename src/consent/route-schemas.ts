// JSON schemas shared by the consent context's routes (params, form bodies, HTML answers).
const bankIdParam = {
  type: 'string',
  pattern: '^[a-z][a-z0-9-]{1,31}$',
  description: 'Bank (tenant) id',
} as const;
const uidParam = { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$', description: 'Interaction id' } as const;
const consentIdParam = {
  type: 'string',
  pattern: '^cns_[A-Za-z0-9_-]{10,40}$',
  description: 'Consent id',
} as const;

export const bankParams = {
  type: 'object',
  required: ['bankId'],
  properties: { bankId: bankIdParam },
  additionalProperties: false,
} as const;
export const uidParams = {
  type: 'object',
  required: ['bankId', 'uid'],
  properties: { bankId: bankIdParam, uid: uidParam },
  additionalProperties: false,
} as const;
export const consentParams = {
  type: 'object',
  required: ['bankId', 'consentId'],
  properties: { bankId: bankIdParam, consentId: consentIdParam },
  additionalProperties: false,
} as const;
export const html = { 200: { type: 'string', description: 'HTML page' } } as const;
export const csrfBody = {
  type: 'object',
  required: ['csrf'],
  properties: { csrf: { type: 'string', maxLength: 128 } },
  additionalProperties: false,
} as const;
export const loginBody = {
  type: 'object',
  required: ['csrf', 'username', 'password', 'otp'],
  properties: {
    csrf: { type: 'string', maxLength: 128 },
    username: { type: 'string', maxLength: 64 },
    password: { type: 'string', maxLength: 256 },
    otp: { type: 'string', maxLength: 12 },
  },
  additionalProperties: false,
} as const;
export const consentBody = {
  type: 'object',
  required: ['csrf', 'decision'],
  properties: {
    csrf: { type: 'string', maxLength: 128 },
    decision: { type: 'string', enum: ['approve', 'deny'] },
    account: {
      anyOf: [
        { type: 'string', maxLength: 40 },
        { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 40 } },
      ],
    },
  },
  additionalProperties: false,
} as const;

export type BankParams = { bankId: string };
export type InteractionParams = { bankId: string; uid: string };
export type ConsentParams = { bankId: string; consentId: string };
export type LoginForm = { csrf: string; username: string; password: string; otp: string };
