-- A version per entity state, raised by every write of the state. An instance that remembers
-- the states it wrote (the scoring cache, src/screening/state-rows.ts) is then told, when it
-- locks a row, only whether its copy is still the row's; the state itself is sent only when it
-- is not (another instance or a label wrote it since).
alter table screening_state add column version bigint not null default 0;
