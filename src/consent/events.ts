// Consent lifecycle events. The gateway wires a sink (the transparency log); each event is
// delivered — and must be accepted — before the state change it describes is acknowledged
// to anyone, so a change that could not be recorded does not happen.
export type ConsentEventKind =
  | 'requested'
  | 'authorised'
  | 'rejected'
  | 'revoked'
  | 'expired'
  | 'reauthorised';

export interface ConsentEvent {
  kind: ConsentEventKind;
  consentId: string;
  bankId: string;
  /** OAuth client id of the platform. */
  platform: string;
  /** Bank customer id; null before the customer has logged in. Sinks must not publish it in the clear. */
  customerId: string | null;
  purposes: readonly string[];
  clusters: readonly string[];
  expiresAt: Date | null;
  at: Date;
  /** Who caused it, for revocations. */
  by?: 'customer' | 'platform' | 'bank';
}

export interface ConsentEvents {
  /** Throws to veto: the change is then not applied. */
  emit(event: ConsentEvent): Promise<void>;
}

export const noConsentEvents: ConsentEvents = { emit: async () => {} };
