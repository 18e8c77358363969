// Ballot batches checked in Web Workers (the browser's counterpart of
// node-pool.js): each worker runs verify-worker.js (bundled to
// dist/verify-worker.js), parses the election object itself and checks the
// batches it is sent with batch.js's checkBatch; results come back as plain
// data, in any order (scan.js sorts).

export class WebWorkerChecker {
  /**
   * @param {string|URL} url the worker bundle (dist/verify-worker.js)
   * @param {number} [workers] how many (by default the cores but one, 1–4)
   */
  constructor(url, workers = defaultWorkers()) {
    this.url = url;
    this.size = workers;
    this.workers = [];
    this.next = 0;
    this.waiting = new Map();
    this.id = 0;
    this.broken = null;
  }

  init(electionObj) {
    for (let i = 0; i < this.size; i++) {
      // A classic worker: the bundle has no import or export left.
      const worker = new Worker(this.url, { name: `verify-${i}` });
      worker.onmessage = ({ data: { id, result, error } }) => {
        const pending = this.waiting.get(id);
        if (!pending) return;
        this.waiting.delete(id);
        if (error) pending.reject(new Error(error));
        else pending.resolve(result);
      };
      worker.onerror = (event) => {
        event.preventDefault();
        this.fail(new Error(`verifier worker failed: ${event.message || 'could not start'}`));
      };
      worker.postMessage({ election: electionObj });
      this.workers.push(worker);
    }
  }

  fail(err) {
    this.broken = err; // later batches are refused at once, not lost
    for (const { reject } of this.waiting.values()) reject(err);
    this.waiting.clear();
  }

  submit(batch) {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.id++;
    const worker = this.workers[this.next++ % this.workers.length];
    // Each line is a view into the whole board: copy it, so that only its
    // own bytes cross to the worker (and transfer the copies).
    const lines = batch.map(([index, line, beforeClose]) => [index, line.slice(), beforeClose]);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, batch: lines }, lines.map(([, line]) => line.buffer));
    });
  }

  close() {
    for (const w of this.workers) w.terminate();
    this.workers = [];
    this.fail(new Error('verifier workers closed'));
  }
}

function defaultWorkers() {
  const cores = (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 2;
  return Math.max(1, Math.min(4, cores - 1));
}
