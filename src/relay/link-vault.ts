// The one place a link's secrets are sealed and opened: its OAuth credentials (tokens, DPoP
// key) once linked, and the pending PKCE/DPoP state while linking. AES-256-GCM under the relay
// key (secrets.ts), with the link's id and the value's use bound as additional data, so a
// sealed value copied to another row or column does not open. The key object is made once.
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { Json } from './platform.ts';
import { openJson, SecretsError, sealJson } from './secrets.ts';
import type { Link } from './store.ts';

const credentialsAad = (linkId: string) => `relay-link-credentials:${linkId}`;
const pendingAad = (linkId: string) => `relay-link-pending:${linkId}`;

export class LinkVault {
  readonly #relayKey: KeyObject;

  constructor(relayKey: Buffer) {
    this.#relayKey = createSecretKey(relayKey);
  }

  sealCredentials(linkId: string, credentials: Json): string {
    return sealJson(this.#relayKey, credentials, credentialsAad(linkId));
  }

  /** The credentials of an active link (an active link always has them). */
  credentials(link: Pick<Link, 'id' | 'credentialsSealed'>): Json {
    if (!link.credentialsSealed) throw new SecretsError('the link holds no credentials');
    return openJson<Json>(this.#relayKey, link.credentialsSealed, credentialsAad(link.id));
  }

  sealPending(linkId: string, pending: Json): string {
    return sealJson(this.#relayKey, pending, pendingAad(linkId));
  }

  /** The pending state of a link being made. */
  pending(link: Pick<Link, 'id' | 'pendingSealed'>): Json {
    if (!link.pendingSealed) throw new SecretsError('the link holds no pending state');
    return openJson<Json>(this.#relayKey, link.pendingSealed, pendingAad(link.id));
  }
}
