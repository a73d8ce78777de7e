-- Feature state rows are rewritten on every screened batch (a busy terminal's several times
-- a second) and are mostly arrays of 13-digit numbers. Stored as json, not jsonb: PostgreSQL
-- never looks inside them, and jsonb turns every number into numeric on the way in and back
-- into text on the way out. Compressed with lz4, several times faster than the default pglz;
-- PostgreSQL builds without lz4 (and PGlite) keep pglz.
alter table screening_state alter column state type json using state::json;

do $$
begin
  alter table screening_state alter column state set compression lz4;
exception when feature_not_supported then
  null;
end
$$;
