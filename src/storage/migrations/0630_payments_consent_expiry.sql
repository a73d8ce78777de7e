-- The sweep of payment consents nobody approved in time (PaymentStore.rejectExpiredUnapproved)
-- finds the due ones by this index instead of reading every consent each minute.
create index payment_consent_awaiting_expiry on payment_consent (expires_at)
  where status = 'AwaitingAuthorisation';
