// Group work of concurrent callers into one database round: while a round runs, new items
// wait; the next round takes all of them (up to a weight: rows, parameters). Under light load a call runs at
// once, alone (no timer, no added latency); under load, rounds grow with the load. Written by
// hand because it is twenty lines and the relay's only need: its rounds are single SQL
// statements (the statement is the unit of atomicity), so there is nothing to configure.
//
// One bad item never costs the good ones beside it: when a shared round fails, each item of
// it is run again on its own, and only the items that fail alone are rejected.

interface Waiting<In, Out> {
  item: In;
  resolve(value: Out): void;
  reject(error: unknown): void;
}

export class Batcher<In, Out> {
  readonly #run: (items: In[]) => Promise<Out[]>;
  readonly #maxWeight: number;
  readonly #weigh: (item: In) => number;
  #queue: Waiting<In, Out>[] = [];
  #running = false;
  /** Rounds run and items carried (metrics, benchmark). */
  rounds = 0;
  items = 0;

  /**
   * `run` answers one result per item, in order. A round carries items up to `maxWeight` in
   * all (rows, parameters), by `weigh`; an item heavier than that runs alone.
   */
  constructor(
    run: (items: In[]) => Promise<Out[]>,
    maxWeight: number,
    weigh: (item: In) => number = () => 1,
  ) {
    this.#run = run;
    this.#maxWeight = maxWeight;
    this.#weigh = weigh;
  }

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const round = this.#takeRound();
        this.rounds++;
        this.items += round.length;
        try {
          const results = await this.#run(round.map((w) => w.item));
          for (const [i, waiting] of round.entries()) waiting.resolve(results[i]!);
        } catch (error) {
          if (round.length === 1) round[0]!.reject(error);
          else await Promise.all(round.map((w) => this.#alone(w)));
        }
      }
    } finally {
      this.#running = false;
    }
  }

  #takeRound(): Waiting<In, Out>[] {
    let weight = 0;
    let count = 0;
    for (const waiting of this.#queue) {
      weight += this.#weigh(waiting.item);
      if (count > 0 && weight > this.#maxWeight) break;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  async #alone(waiting: Waiting<In, Out>): Promise<void> {
    try {
      waiting.resolve((await this.#run([waiting.item]))[0]!);
    } catch (error) {
      waiting.reject(error);
    }
  }
}
