-- screening_state is a small table whose rows are rewritten all the time: every screening group
-- appends steps to each row it touches (src/screening/state-rows.ts).
--   * fillfactor: room left in each page lets a rewrite stay on its page (a HOT update: no new
--     index entry, and the old version is pruned the next time the page is read);
--   * vacuum after a small share of dead rows, so the table stays near its live size;
--   * toast_tuple_target: a state is stored out of line whatever its size, so a rewrite that
--     leaves it alone copies an 18-byte pointer instead of the (compressed) state;
--   * the steps stay in the row uncompressed (storage plain): they change with every write,
--     and compressing them again each time cost about a third of the write-back. The writer
--     keeps them under 2 kB (MAX_STEPS_BYTES), so a row always fits its page.
alter table screening_state set (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.02,
  autovacuum_vacuum_threshold = 200, toast_tuple_target = 128);
alter table screening_state alter column steps set storage plain;
