import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCheckpoint } from '../../src/translog/checkpoint.ts';
import { openCheckpoint } from '../../src/translog/cosigned.ts';
import {
  computeKeyId,
  noteVerifier,
  parsePrivateKey,
  parseVerifierKey,
  SIG_COSIGNATURE_V1,
  signerFromPrivateKey,
} from '../../src/translog/keys.ts';
import { formatNote, openNote, parseNote } from '../../src/translog/note.ts';
import { cosignText, signText } from '../../src/translog/sign.ts';
import { readVector } from './support/vectors.ts';

interface NoteCase {
  name: string;
  vkeys: string[];
  witness_vkeys?: string[];
  quorum?: number;
  note: string;
  valid: boolean;
  key_id_hex?: string;
  checkpoint_origin?: string;
  checkpoint_size?: number;
}
interface NoteSet {
  cases: NoteCase[];
  test_only_keys?: Record<string, string>;
}

function judge(c: NoteCase): void {
  if (c.checkpoint_origin !== undefined || c.witness_vkeys !== undefined) {
    const opened = openCheckpoint(c.note, {
      logKeys: c.vkeys,
      witnessKeys: c.witness_vkeys ?? [],
      quorum: c.quorum ?? 0,
    });
    assert.equal(opened.checkpoint.origin, c.checkpoint_origin);
    assert.equal(opened.checkpoint.size, c.checkpoint_size);
  } else {
    openNote(c.note, c.vkeys.map(noteVerifier));
  }
}

for (const file of ['generated/notes.json', 'transcribed/upstream-notes.json']) {
  describe(`signed-note vectors ${file}`, async () => {
    const set = await readVector<NoteSet>(file);
    test('has cases', () => assert.ok(set.cases.length >= 9));
    for (const c of set.cases) {
      test(`${c.name} is ${c.valid ? 'valid' : 'rejected'}`, () => {
        if (c.valid) judge(c);
        else assert.throws(() => judge(c), /Error/);
        if (c.key_id_hex) {
          const k = parseVerifierKey(c.vkeys[0]!);
          assert.equal(computeKeyId(k.name, k.type, k.publicKey).toString(16).padStart(8, '0'), c.key_id_hex);
        }
        if (c.valid) assert.equal(formatNote(parseNote(c.note)), c.note, 'parse/format round trip');
      });
    }
  });
}

describe('signing reproduces the vectors byte for byte', () => {
  test('log signatures and cosignatures of generated/notes.json', async () => {
    const set = await readVector<NoteSet>('generated/notes.json');
    const k = set.test_only_keys!;
    const log = signerFromPrivateKey(k['log_skey']!);
    assert.equal(log.verifierKey, k['log_vkey']);
    const witnesses = [
      signerFromPrivateKey(k['witness1_skey']!, SIG_COSIGNATURE_V1),
      signerFromPrivateKey(k['witness2_skey']!, SIG_COSIGNATURE_V1),
    ];
    assert.equal(witnesses[0]!.verifierKey, k['witness1_cosignature_vkey']);
    assert.equal(witnesses[1]!.verifierKey, k['witness2_cosignature_vkey']);
    let reproduced = 0;
    for (const c of set.cases.filter((c) => c.valid)) {
      const note = parseNote(c.note);
      const lines = [];
      for (const sig of note.signatures) {
        if (sig.name === log.name) lines.push(await signText(note.text, log));
        else {
          const w = witnesses.find((s) => s.name === sig.name)!;
          lines.push(await cosignText(note.text, w, Buffer.from(sig.signature).readBigUInt64BE(0)));
        }
      }
      assert.equal(formatNote({ text: note.text, signatures: lines }), c.note, c.name);
      reproduced++;
    }
    assert.ok(reproduced >= 4);
  });

  test('private and verifier keys agree, and the key types are not interchangeable', async () => {
    const set = await readVector<NoteSet>('generated/notes.json');
    const k = set.test_only_keys!;
    assert.equal(parsePrivateKey(k['log_skey']!).name, 'example.com/proviso-test-log');
    assert.throws(() =>
      parseVerifierKey('example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k'),
    );
    assert.throws(() =>
      parseVerifierKey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k='),
    );
    // The impostor shares the log's name but not its key ID: its signature alone is rejected.
    assert.throws(() => openCheckpoint(set.cases[0]!.note, { logKeys: [k['impostor_vkey']!] }));
  });
});

describe('checkpoint parsing', () => {
  test('rejects malformed text', () => {
    const ok = 'o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n';
    assert.throws(() => parseCheckpoint(ok.replace('\n1\n', '\n01\n')));
    assert.throws(() => parseCheckpoint(ok.replace('\n1\n', '\n-1\n')));
    assert.throws(() => parseCheckpoint(ok.replace('\n1\n', '\n18446744073709551615\n')));
    assert.throws(() => parseCheckpoint(`${ok}\n`));
    assert.throws(() => parseCheckpoint(ok.replace('=\n', '\n')));
    assert.equal(parseCheckpoint(ok).size, 1);
  });
});
