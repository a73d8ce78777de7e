// Batching: the one queue that gathers concurrent callers' items into runs (group commits,
// SQL rounds), answers each caller with its own item's result, and isolates a bad item.
// A lower layer with no dependencies: any domain context may use it.
export { BatchQueue, type BatchQueueOptions, Refused } from './queue.ts';
