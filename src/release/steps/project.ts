// Step 5 — project to what the purpose needs. Enforces data minimisation on every route: each
// Open Banking resource list the read returned goes through the purpose's allow-list
// (src/policy/projections.ts): fields not listed never leave, records the purpose must not
// see (a booked balance for balance_inquiry) are dropped. A resource the purpose never
// returns is an error (ProjectionError → 500: the decision should have refused it).
// The caller's answer is then built from the projected records (and the read's extras,
// which are never Open Banking resources): these bytes are what the log step commits to.
import { type ObResource, projectAll } from '../../policy/index.ts';
import type { ReleaseStep, ResourceLists } from '../types.ts';

export const project: ReleaseStep = {
  name: 'project',
  async run(state) {
    const records = state.read!.records;
    const projected: ResourceLists = {};
    // Keep rules may look at the release's own accounts (a credit card's booked balance).
    const related = records.account ? { accounts: records.account } : {};
    for (const resource of Object.keys(records) as ObResource[])
      projected[resource] = projectAll(state.purpose!, resource, records[resource]!, related);
    state.projected = projected;
    state.payload = state.request.answer(projected, state.read!.extra);
    state.bytes = state.payload === null ? null : Buffer.from(JSON.stringify(state.payload));
  },
};
