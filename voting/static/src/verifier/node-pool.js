// Ballot batches checked in Node worker threads (PROTOCOL.md §16: the
// verifier's cost is the ballots' scalar multiplications). Each worker
// parses the election object itself (node-worker.js); batches go out
// round-robin and come back as plain data, in any order (scan.js sorts).

import { Worker } from 'node:worker_threads';

export class WorkerChecker {
  constructor(workers = 2) {
    this.size = workers;
    this.workers = [];
    this.next = 0;
    this.waiting = new Map();
    this.id = 0;
  }

  init(electionObj) {
    const url = new URL('./node-worker.js', import.meta.url);
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(url, { workerData: { election: electionObj } });
      worker.on('message', ({ id, result, error }) => {
        const { resolve, reject } = this.waiting.get(id);
        this.waiting.delete(id);
        if (error) reject(new Error(error));
        else resolve(result);
      });
      worker.on('error', (err) => {
        for (const { reject } of this.waiting.values()) reject(err);
        this.waiting.clear();
      });
      this.workers.push(worker);
    }
  }

  submit(batch) {
    const id = this.id++;
    const worker = this.workers[this.next++ % this.workers.length];
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, batch });
    });
  }

  close() {
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}
