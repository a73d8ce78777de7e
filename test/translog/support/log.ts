import type { Database } from '../../../src/storage/index.ts';
import { signerFromPrivateKey } from '../../../src/translog/keys.ts';
import { createLog, type LogOptions, type TransparencyLog } from '../../../src/translog/log.ts';

// Test-only keys from test/fixtures/testvectors/generated/notes.json.
export const LOG_SKEY =
  'PRIVATE+KEY+example.com/proviso-test-log+83b7a520+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB';
export const LOG_VKEY = 'example.com/proviso-test-log+83b7a520+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c';
export const W1_SKEY = 'PRIVATE+KEY+witness.example/w1+9e225179+AQICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC';
export const W1_VKEY = 'witness.example/w1+df1c0a35+BIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU';
export const W2_SKEY = 'PRIVATE+KEY+witness.example/w2+d0c93ca1+AQMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMD';
export const W2_VKEY = 'witness.example/w2+bfff2874+BO1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR';
export const ORIGIN = 'example.com/proviso-test-log';

export function testLog(database: Database, options: Partial<LogOptions> = {}): Promise<TransparencyLog> {
  return createLog(database, {
    logId: 'test-bank',
    origin: ORIGIN,
    signer: signerFromPrivateKey(LOG_SKEY),
    ...options,
  });
}
