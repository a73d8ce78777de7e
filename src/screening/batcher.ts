// Screening's batching is the shared queue (src/batching/): the same one the transparency
// log's group commit uses. Screening uses two of its modes:
//   - 'tick': screen() calls of one event-loop turn are validated and admitted together
//     (screenBatch), runs overlapping freely;
//   - 'serial': one scoring transaction per bank at a time (group commit): hot rows read and
//     written once per group, never two groups of a bank racing for the same row locks.
// A failed multi-item run is retried item by item: one bad item never costs the others.
export {
  BatchQueue as Batcher,
  type BatchQueueOptions as BatcherOptions,
} from '../batching/index.ts';
