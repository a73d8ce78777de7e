// Response schemas in the shapes of UK Open Banking Account and Transaction API v3.1
// (OBReadAccount6, OBReadBalance1, OBReadTransaction6). They list exactly the fields we
// send, so serialisation can never leak a field that is not declared here; the
// conformance test checks real responses against the official schemas.
const amount = {
  type: 'object',
  required: ['Amount', 'Currency'],
  properties: {
    Amount: { type: 'string', pattern: '^\\d{1,13}$|^\\d{1,13}\\.\\d{1,5}$' },
    Currency: { type: 'string', pattern: '^[A-Z]{3,3}$' },
  },
  additionalProperties: false,
} as const;

const links = {
  type: 'object',
  required: ['Self'],
  properties: { Self: { type: 'string', format: 'uri' }, Next: { type: 'string', format: 'uri' } },
  additionalProperties: false,
} as const;

const meta = {
  type: 'object',
  properties: { TotalPages: { type: 'integer' } },
  additionalProperties: false,
} as const;

export const accountSchema = {
  $id: 'OBAccount6',
  type: 'object',
  required: ['AccountId'],
  properties: {
    AccountId: { type: 'string' },
    Status: { type: 'string', enum: ['Enabled', 'Disabled', 'Deleted', 'ProForma', 'Pending'] },
    Currency: { type: 'string' },
    AccountType: { type: 'string', enum: ['Business', 'Personal'] },
    AccountSubType: { type: 'string', enum: ['CurrentAccount', 'Savings', 'CreditCard'] },
    Nickname: { type: 'string' },
    OpeningDate: { type: 'string', format: 'date-time' },
    Account: {
      type: 'array',
      items: {
        type: 'object',
        required: ['SchemeName', 'Identification'],
        properties: {
          SchemeName: { type: 'string' },
          Identification: { type: 'string' },
          Name: { type: 'string' },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
} as const;

export const readAccountSchema = {
  $id: 'OBReadAccount6',
  type: 'object',
  required: ['Data', 'Links', 'Meta'],
  properties: {
    Data: {
      type: 'object',
      required: ['Account'],
      properties: { Account: { type: 'array', items: { $ref: 'OBAccount6#' } } },
      additionalProperties: false,
    },
    Links: links,
    Meta: meta,
  },
  additionalProperties: false,
} as const;

export const readBalanceSchema = {
  $id: 'OBReadBalance1',
  type: 'object',
  required: ['Data', 'Links', 'Meta'],
  properties: {
    Data: {
      type: 'object',
      required: ['Balance'],
      properties: {
        Balance: {
          type: 'array',
          items: {
            type: 'object',
            required: ['AccountId', 'CreditDebitIndicator', 'Type', 'DateTime', 'Amount'],
            properties: {
              AccountId: { type: 'string' },
              CreditDebitIndicator: { type: 'string', enum: ['Credit', 'Debit'] },
              Type: { type: 'string', enum: ['InterimBooked', 'InterimAvailable'] },
              DateTime: { type: 'string', format: 'date-time' },
              Amount: amount,
            },
            additionalProperties: false,
          },
        },
      },
      additionalProperties: false,
    },
    Links: links,
    Meta: meta,
  },
  additionalProperties: false,
} as const;

export const transactionSchema = {
  $id: 'OBTransaction6',
  type: 'object',
  required: ['AccountId', 'CreditDebitIndicator', 'Status', 'BookingDateTime', 'Amount'],
  properties: {
    AccountId: { type: 'string' },
    TransactionId: { type: 'string' },
    CreditDebitIndicator: { type: 'string', enum: ['Credit', 'Debit'] },
    Status: { type: 'string', enum: ['Booked', 'Pending'] },
    BookingDateTime: { type: 'string', format: 'date-time' },
    TransactionInformation: { type: 'string' },
    Amount: amount,
    ProprietaryBankTransactionCode: {
      type: 'object',
      required: ['Code'],
      properties: { Code: { type: 'string' }, Issuer: { type: 'string' } },
      additionalProperties: false,
    },
    MerchantDetails: {
      type: 'object',
      properties: { MerchantName: { type: 'string' }, MerchantCategoryCode: { type: 'string' } },
      additionalProperties: false,
    },
    SupplementaryData: {
      type: 'object',
      description: 'Proviso extension: where and how the transaction happened',
      properties: {
        Country: { type: 'string' },
        Channel: { type: 'string' },
        Category: { type: 'string' },
        CardId: { type: 'string' },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

export const readTransactionSchema = {
  $id: 'OBReadTransaction6',
  type: 'object',
  required: ['Data', 'Links', 'Meta'],
  properties: {
    Data: {
      type: 'object',
      required: ['Transaction'],
      properties: { Transaction: { type: 'array', items: { $ref: 'OBTransaction6#' } } },
      additionalProperties: false,
    },
    Links: links,
    Meta: meta,
  },
  additionalProperties: false,
} as const;

export const OPEN_BANKING_SCHEMAS = [
  accountSchema,
  readAccountSchema,
  readBalanceSchema,
  transactionSchema,
  readTransactionSchema,
];
