// Kysely row types of the translog migrations (0100_translog_log.sql, 0101_translog_witness.sql).
import type { Generated, Kysely } from 'kysely';

export interface TranslogTables {
  translog_state: {
    log_id: string;
    origin: string;
    size: number;
    root: Uint8Array;
    updated_at: Generated<Date>;
  };
  translog_entry: { log_id: string; idx: number; data: Uint8Array };
  translog_tile: { log_id: string; level: number; idx: number; hashes: Uint8Array };
  translog_checkpoint: {
    log_id: string;
    size: number;
    root: Uint8Array;
    note: string;
    cosignatures: Generated<number>;
    created_at: Generated<Date>;
    cosigned_at: Date | null;
  };
  translog_witness_state: {
    witness: string;
    origin: string;
    size: number;
    root: Uint8Array;
    note: string;
    updated_at: Generated<Date>;
  };
  translog_witness_refusal: {
    id: Generated<number>;
    witness: string;
    origin: string;
    stored_size: number;
    stored_root: Uint8Array;
    note: string;
    reason: string;
    received_at: Generated<Date>;
  };
}

export type TranslogDb = Kysely<TranslogTables>;

/** bytea comes back as Buffer from pg and Uint8Array from PGlite; normalise to a plain view. */
export function bytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}
