// JSON schemas of the Payment Initiation routes: the UK OB v3.1.11 request bodies this bank
// takes (a strict subset: no DebtorAccount, the customer chooses at the bank) and the response
// shapes (validated against the official file in test/payments/conformance.test.ts).
const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const;
const amount = {
  type: 'object',
  required: ['Amount', 'Currency'],
  additionalProperties: false,
  properties: {
    Amount: { type: 'string', pattern: '^\\d{1,13}$|^\\d{1,13}\\.\\d{1,5}$' },
    Currency: { type: 'string', pattern: '^[A-Z]{3,3}$' },
  },
} as const;

export const initiationSchema = {
  type: 'object',
  required: ['InstructionIdentification', 'EndToEndIdentification', 'InstructedAmount', 'CreditorAccount'],
  additionalProperties: false,
  properties: {
    InstructionIdentification: text(35),
    EndToEndIdentification: text(35),
    InstructedAmount: amount,
    CreditorAccount: {
      type: 'object',
      required: ['SchemeName', 'Identification', 'Name'],
      additionalProperties: false,
      properties: {
        SchemeName: { type: 'string', enum: ['UK.OBIE.SortCodeAccountNumber', 'UK.OBIE.IBAN'] },
        Identification: text(256),
        Name: text(350),
      },
    },
    RemittanceInformation: {
      type: 'object',
      additionalProperties: false,
      properties: { Reference: text(35), Unstructured: text(140) },
    },
    SupplementaryData: {
      type: 'object',
      additionalProperties: false,
      description: 'Proviso: proviso_receipt carries the receipt lines shown on the customer device',
      properties: {
        proviso_receipt: {
          type: 'object',
          additionalProperties: false,
          properties: {
            elements: {
              type: 'array',
              maxItems: 50,
              items: {
                type: 'object',
                required: ['title', 'price'],
                additionalProperties: false,
                properties: {
                  title: text(80),
                  subtitle: text(80),
                  quantity: { type: 'integer', minimum: 1, maximum: 999 },
                  price: { type: 'number', minimum: 0, maximum: 100000 },
                  currency: { type: 'string', pattern: '^[A-Z]{3}$' },
                },
              },
            },
            address: {
              type: 'object',
              additionalProperties: false,
              properties: {
                street_1: text(80),
                city: text(80),
                postal_code: text(16),
                country: text(40),
              },
            },
            adjustments: {
              type: 'array',
              maxItems: 10,
              items: {
                type: 'object',
                required: ['name', 'amount'],
                additionalProperties: false,
                properties: { name: text(80), amount: { type: 'number', minimum: -100000, maximum: 100000 } },
              },
            },
          },
        },
      },
    },
  },
} as const;

const risk = {
  type: 'object',
  additionalProperties: false,
  properties: {
    PaymentContextCode: {
      type: 'string',
      enum: [
        'BillingGoodsAndServicesInAdvance',
        'BillingGoodsAndServicesInArrears',
        'EcommerceMerchantInitiatedPayment',
        'EcommerceGoods',
        'EcommerceServices',
        'FaceToFacePointOfSale',
        'TransferToSelf',
        'TransferToThirdParty',
        'PispPayee',
      ],
    },
    MerchantCategoryCode: { type: 'string', minLength: 3, maxLength: 4 },
    MerchantCustomerIdentification: text(70),
  },
} as const;

export const consentBody = {
  type: 'object',
  required: ['Data', 'Risk'],
  additionalProperties: false,
  properties: {
    Data: {
      type: 'object',
      required: ['Initiation'],
      additionalProperties: false,
      properties: { Initiation: initiationSchema },
    },
    Risk: risk,
  },
} as const;

export const paymentBody = {
  type: 'object',
  required: ['Data', 'Risk'],
  additionalProperties: false,
  properties: {
    Data: {
      type: 'object',
      required: ['ConsentId', 'Initiation'],
      additionalProperties: false,
      properties: { ConsentId: text(128), Initiation: initiationSchema },
    },
    Risk: risk,
  },
} as const;

export const refundBody = {
  type: 'object',
  required: ['Data'],
  additionalProperties: false,
  properties: {
    Data: {
      type: 'object',
      required: ['Amount', 'Reference'],
      additionalProperties: false,
      properties: { Amount: amount, Reference: text(35) },
    },
  },
} as const;

const links = { type: 'object', required: ['Self'], properties: { Self: { type: 'string' } } } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

/**
 * A UK OB response: `Data` with its required fields and properties, `Links.Self`, `Meta`, and
 * the consent's `Risk` echoed where the standard does (payment consents).
 */
function obResponse<const P extends Record<string, unknown>, const R extends readonly string[]>(
  required: R,
  properties: P,
  options: { echoRisk?: boolean } = {},
) {
  return {
    type: 'object',
    required: options.echoRisk ? ['Data', 'Risk', 'Links', 'Meta'] : ['Data', 'Links', 'Meta'],
    properties: {
      Data: { type: 'object', required, properties },
      ...(options.echoRisk ? { Risk: risk } : {}),
      Links: links,
      Meta: { type: 'object' },
    },
  } as const;
}

export const consentResponseSchema = obResponse(
  ['ConsentId', 'CreationDateTime', 'Status', 'StatusUpdateDateTime', 'Initiation'],
  {
    ConsentId: { type: 'string' },
    CreationDateTime: dateTime,
    Status: { type: 'string', enum: ['AwaitingAuthorisation', 'Authorised', 'Rejected', 'Consumed'] },
    StatusUpdateDateTime: dateTime,
    Initiation: initiationSchema,
  },
  { echoRisk: true },
);

export const paymentResponseSchema = obResponse(
  ['DomesticPaymentId', 'ConsentId', 'CreationDateTime', 'Status', 'StatusUpdateDateTime', 'Initiation'],
  {
    DomesticPaymentId: { type: 'string' },
    ConsentId: { type: 'string' },
    CreationDateTime: dateTime,
    Status: {
      type: 'string',
      enum: ['AcceptedSettlementInProcess', 'AcceptedSettlementCompleted', 'Rejected'],
    },
    StatusUpdateDateTime: dateTime,
    Initiation: initiationSchema,
  },
);

export const fundsConfirmationSchema = obResponse(['FundsAvailableResult'], {
  FundsAvailableResult: {
    type: 'object',
    required: ['FundsAvailableDateTime', 'FundsAvailable'],
    properties: { FundsAvailableDateTime: dateTime, FundsAvailable: { type: 'boolean' } },
  },
});

export const refundResponseSchema = obResponse(
  ['RefundId', 'DomesticPaymentId', 'Status', 'Amount', 'Reference', 'CreationDateTime'],
  {
    RefundId: { type: 'string' },
    DomesticPaymentId: { type: 'string' },
    Status: { type: 'string', enum: ['AcceptedSettlementCompleted'] },
    Amount: amount,
    Reference: { type: 'string' },
    CreationDateTime: dateTime,
  },
);

export const pisHeaders = {
  type: 'object',
  properties: {
    authorization: { type: 'string', description: "DPoP <the merchant's access token>" },
    dpop: { type: 'string', description: 'DPoP proof (RFC 9449) for this request' },
    'x-fapi-interaction-id': { type: 'string', maxLength: 64 },
  },
} as const;

export const pisWriteHeaders = {
  type: 'object',
  required: ['x-idempotency-key', 'x-jws-signature'],
  properties: {
    ...pisHeaders.properties,
    'x-idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: 40,
      pattern: '^(?!\\s)(.*)(\\S)$',
      description:
        'Same key and body within 24 h: the first answer again; same key, another body: 422 idempotency-key-reused',
    },
    'x-jws-signature': {
      type: 'string',
      maxLength: 4096,
      description:
        'Detached JWS (header..signature) over the body by a registered key of the merchant (OB profile)',
    },
  },
} as const;
