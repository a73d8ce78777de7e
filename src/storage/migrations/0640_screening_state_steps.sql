-- The steps an entity state took since it was last stored in full (src/screening/state-rows.ts,
-- entity-steps.ts): a screening group appends each touched row's new steps here instead of
-- writing its whole state again; readers replay them onto `state`. Rows stored before this
-- column existed have no steps: their `state` is the whole state, as it always was.
alter table screening_state add column steps jsonb not null default '[]'::jsonb;
