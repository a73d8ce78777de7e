// The relay's SQL rounds on the shared batching queue (src/batching/), serial mode with no
// delay: under light load a call runs at once, alone (no timer, no added latency); while a
// round runs, new items wait and the next round takes all of them (up to a weight: rows,
// parameters). A round is one SQL statement (the statement is the unit of atomicity).
// One bad item never costs the good ones beside it: when a shared round fails, each item of
// it is run again on its own, and only the items that fail alone are rejected.
import { BatchQueue } from '../batching/index.ts';

export class Batcher<In, Out> {
  readonly #queue: BatchQueue<In, Out>;

  /**
   * `run` answers one result per item, in order. A round carries items up to `maxWeight` in
   * all (rows, parameters), by `weigh`; an item heavier than that runs alone.
   */
  constructor(
    run: (items: In[]) => Promise<Out[]>,
    maxWeight: number,
    weigh: (item: In) => number = () => 1,
  ) {
    this.#queue = new BatchQueue<In, Out>({
      mode: 'serial',
      maxWeight,
      weight: weigh,
      run: (_key, items) => run([...items]),
    });
  }

  /** Rounds run and items carried (metrics, benchmark). */
  get rounds(): number {
    return this.#queue.rounds;
  }
  get items(): number {
    return this.#queue.items;
  }

  submit(item: In): Promise<Out> {
    return this.#queue.submit('', item);
  }
}
