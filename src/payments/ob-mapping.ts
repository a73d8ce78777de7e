// Payment resources in UK OB v3.1.11 shapes (OBWriteDomesticConsentResponse5,
// OBWriteDomesticResponse5, OBWriteFundsConfirmationResponse1). Nothing of the debtor is ever in
// them: the merchant learns the status, not the account.
import type { ConsentRow, PaymentRow } from './store.ts';

export interface ObInitiation {
  InstructionIdentification: string;
  EndToEndIdentification: string;
  InstructedAmount: { Amount: string; Currency: string };
  CreditorAccount: { SchemeName: string; Identification: string; Name: string };
  RemittanceInformation?: { Reference?: string; Unstructured?: string };
  SupplementaryData?: Record<string, unknown>;
}

const iso = (d: Date) => new Date(d).toISOString().replace(/\.\d{3}Z$/, '+00:00');

export function consentResponse(row: ConsentRow, self: string) {
  return {
    Data: {
      ConsentId: row.id,
      CreationDateTime: iso(row.created_at),
      Status: row.status,
      StatusUpdateDateTime: iso(row.status_updated_at),
      Initiation: row.initiation as ObInitiation,
    },
    Risk: row.risk as Record<string, unknown>,
    Links: { Self: self },
    Meta: {},
  };
}

export function paymentResponse(payment: PaymentRow, consent: ConsentRow, self: string) {
  return {
    Data: {
      DomesticPaymentId: payment.id,
      ConsentId: payment.consent_id,
      CreationDateTime: iso(payment.created_at),
      Status: payment.status,
      StatusUpdateDateTime: iso(payment.status_updated_at),
      Initiation: consent.initiation as ObInitiation,
    },
    Links: { Self: self },
    Meta: {},
  };
}

export function fundsConfirmationResponse(available: boolean, self: string, now = new Date()) {
  return {
    Data: { FundsAvailableResult: { FundsAvailableDateTime: iso(now), FundsAvailable: available } },
    Links: { Self: self },
    Meta: {},
  };
}

/** Canonical JSON (sorted keys) so the payment's Initiation can be compared with the consent's. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}
