// Step 5 — project to what the purpose needs. Enforces data minimisation on every route: each
// Open Banking resource list the read returned goes through the purpose's allow-list
// (src/policy/projections.ts): fields not listed never leave, records the purpose must not
// see (a booked balance for balance_inquiry) are dropped. A resource the purpose never
// returns is an error (ProjectionError → 500: the decision should have refused it).
import { type ObResource, projectAll } from '../../policy/index.ts';
import type { ReleaseStep, ResourceLists } from '../types.ts';

export const project: ReleaseStep = {
  name: 'project',
  async run(state) {
    const records = state.read!.records;
    const projected: ResourceLists = {};
    for (const resource of Object.keys(records) as ObResource[])
      projected[resource] = projectAll(state.purpose!, resource, records[resource]!);
    state.projected = projected;
    state.payload = state.request.answer(projected, state.read!.extra);
    state.bytes = state.payload === null ? null : Buffer.from(JSON.stringify(state.payload));
  },
};
