// The `payment_initiation` authorization_details type (RFC 9396 §2's example shape) a merchant
// sends in its PAR for one UK OB domestic payment consent: the instructed amount, the creditor,
// the remittance information and the consent id. The shape is checked here, at PAR; that it
// equals the payment consent is checked by the approval screen before anything is shown.
export const PAYMENT_INITIATION_TYPE = 'payment_initiation';

export interface PaymentInitiationDetail {
  type: typeof PAYMENT_INITIATION_TYPE;
  consent_id: string;
  instructedAmount: { currency: string; amount: string };
  creditorName: string;
  creditorAccount: { schemeName: string; identification: string };
  remittanceInformationUnstructured?: string;
}

export class InvalidPaymentDetailError extends Error {
  override name = 'InvalidPaymentDetailError';
}

const ALLOWED = new Set([
  'type',
  'consent_id',
  'instructedAmount',
  'creditorName',
  'creditorAccount',
  'remittanceInformationUnstructured',
]);

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw new InvalidPaymentDetailError(`${field} must be a string of 1 to ${max} characters`);
  return value;
}

function object(value: unknown, field: string, keys: string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidPaymentDetailError(`${field} must be an object`);
  for (const k of Object.keys(value))
    if (!keys.includes(k)) throw new InvalidPaymentDetailError(`unknown field '${k}' in ${field}`);
  return value as Record<string, unknown>;
}

export function parsePaymentInitiation(detail: Record<string, unknown>): PaymentInitiationDetail {
  if (detail['type'] !== PAYMENT_INITIATION_TYPE)
    throw new InvalidPaymentDetailError(`type must be '${PAYMENT_INITIATION_TYPE}'`);
  for (const key of Object.keys(detail))
    if (!ALLOWED.has(key))
      throw new InvalidPaymentDetailError(`unknown field '${key}' in ${PAYMENT_INITIATION_TYPE}`);
  const amount = object(detail['instructedAmount'], 'instructedAmount', ['currency', 'amount']);
  const currency = text(amount['currency'], 'instructedAmount.currency', 3);
  if (!/^[A-Z]{3}$/.test(currency))
    throw new InvalidPaymentDetailError('instructedAmount.currency must be an ISO 4217 code');
  const value = text(amount['amount'], 'instructedAmount.amount', 13);
  if (!/^\d{1,8}\.\d{2}$/.test(value) || Number(value) <= 0)
    throw new InvalidPaymentDetailError('instructedAmount.amount must be a positive amount like "42.00"');
  const account = object(detail['creditorAccount'], 'creditorAccount', ['schemeName', 'identification']);
  const remittance = detail['remittanceInformationUnstructured'];
  return {
    type: PAYMENT_INITIATION_TYPE,
    consent_id: text(detail['consent_id'], 'consent_id', 64),
    instructedAmount: { currency, amount: value },
    creditorName: text(detail['creditorName'], 'creditorName', 140),
    creditorAccount: {
      schemeName: text(account['schemeName'], 'creditorAccount.schemeName', 40),
      identification: text(account['identification'], 'creditorAccount.identification', 256),
    },
    ...(remittance === undefined
      ? {}
      : { remittanceInformationUnstructured: text(remittance, 'remittanceInformationUnstructured', 140) }),
  };
}
