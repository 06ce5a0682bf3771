/**
 * Dynamic batching: rows from concurrent requests for one model are merged into one predictor call,
 * bounded by `maxBatchSize` rows and `maxWaitMs` of waiting, and the results are split back to each
 * request in order.
 *
 * Batches form while the previous call runs: when no call is in flight a request starts as soon as the
 * task that delivered it is done (requests delivered together still merge), so a lone client pays no
 * waiting; while a call is in flight new requests queue and go together the moment it
 * ends. `maxWaitMs` bounds that queueing: a request that has waited that long starts a call even if one
 * is still running. (Waiting a fixed time for company instead was measured to halve throughput on a
 * small MLP, where one ORT run costs far less than the wait.)
 *
 * A bad row must not fail its neighbours: when a merged call throws, each request in it is run again on
 * its own, so only the request that holds the bad row gets the error.
 */

export interface BatcherOptions<I, O> {
  /** Most rows in one merged call; a single larger request still runs, alone. */
  maxBatchSize: number;
  /** Longest a request queues behind a running call before it starts one of its own. */
  maxWaitMs: number;
  /** When false every request runs on its own at once (same code path, no merging). */
  enabled?: boolean;
  /** The real work: one output per input, in order. */
  run(items: I[]): Promise<O[]>;
  /** Called with the size of each call to `run` (for the batch-size histogram). */
  onBatch?(size: number): void;
}

export interface BatchResult<O> {
  results: O[];
  /** Rows in the call that answered this request (its own rows plus those merged with them). */
  batchSize: number;
}

export interface Batcher<I, O> {
  submit(items: I[]): Promise<BatchResult<O>>;
  /** Rows waiting for their batch to start. */
  readonly queuedRows: number;
  /** Merged calls running now. */
  readonly inFlight: number;
}

interface Job<I, O> {
  items: I[];
  resolve(result: BatchResult<O>): void;
  reject(err: unknown): void;
}

/** Creates a batcher around `run`. */
export function createBatcher<I, O>(
  { maxBatchSize, maxWaitMs, enabled = true, run, onBatch }: BatcherOptions<I, O>,
): Batcher<I, O> {
  if (!(maxBatchSize >= 1)) throw new RangeError(`maxBatchSize must be at least 1, received ${maxBatchSize}`);
  let queue: Job<I, O>[] = [];
  let queuedRows = 0;
  let inFlight = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let idleFlushQueued = false;

  const call = async (items: I[]): Promise<O[]> => {
    onBatch?.(items.length);
    const out = await run(items);
    if (out.length !== items.length) {
      throw new Error(`Batched run returned ${out.length} results for ${items.length} inputs`);
    }
    return out;
  };

  const runAlone = (job: Job<I, O>) =>
    call(job.items).then((results) => job.resolve({ results, batchSize: job.items.length }), job.reject);

  const runBatch = async (jobs: Job<I, O>[]) => {
    if (jobs.length === 1) return await runAlone(jobs[0]);
    const items = jobs.flatMap((j) => j.items);
    let out: O[];
    try {
      out = await call(items);
    } catch {
      // Somebody's rows are bad (or the run failed for all): find out whose by running each alone.
      await Promise.all(jobs.map(runAlone));
      return;
    }
    let offset = 0;
    for (const job of jobs) {
      job.resolve({ results: out.slice(offset, offset + job.items.length), batchSize: items.length });
      offset += job.items.length;
    }
  };

  const start = (jobs: Job<I, O>[]) => {
    inFlight++;
    runBatch(jobs).finally(() => {
      inFlight--;
      // The queue built up behind this call goes now, without waiting for its timer.
      if (queue.length) flush();
    });
  };

  /** Starts everything queued, in batches of at most maxBatchSize rows. */
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const jobs = queue;
    queue = [];
    queuedRows = 0;
    let batch: Job<I, O>[] = [];
    let rows = 0;
    for (const job of jobs) {
      if (batch.length && rows + job.items.length > maxBatchSize) {
        start(batch);
        batch = [];
        rows = 0;
      }
      batch.push(job);
      rows += job.items.length;
    }
    if (batch.length) start(batch);
  };

  return {
    get queuedRows() {
      return queuedRows;
    },
    get inFlight() {
      return inFlight;
    },
    submit(items) {
      return new Promise<BatchResult<O>>((resolve, reject) => {
        const job = { items, resolve, reject };
        if (!enabled || items.length >= maxBatchSize) {
          inFlight++;
          runAlone(job).finally(() => inFlight--);
          return;
        }
        queue.push(job);
        queuedRows += items.length;
        if (queuedRows >= maxBatchSize) flush();
        else if (inFlight > 0) timer ??= setTimeout(flush, maxWaitMs);
        else if (!idleFlushQueued) {
          // Idle: start once the current task's microtasks are done, so requests that arrived together
          // still merge. Not a timer: Deno clamps short timers to a millisecond or more, which was measured
          // to cost more than the ORT run itself on a small model.
          idleFlushQueued = true;
          queueMicrotask(() => {
            idleFlushQueued = false;
            if (queue.length && inFlight === 0) flush();
          });
        }
      });
    },
  };
}
