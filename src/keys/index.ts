export { KeyEncryptionKey } from './kek.ts';
export {
  type ActiveKey,
  type KeyAlg,
  type KeyInfo,
  KeyNotFoundError,
  type KeyPurpose,
  KeyStore,
  REQUIRED_KEYS,
} from './keystore.ts';
