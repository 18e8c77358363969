// A worker thread of node-pool.js: checks ballot batches (batch.js) against
// its own parse of the election object.

import { parentPort, workerData } from 'node:worker_threads';

import { checkBatch, loadElection } from './batch.js';

const election = loadElection(workerData.election);

parentPort.on('message', ({ id, batch }) => {
  try {
    parentPort.postMessage({ id, result: checkBatch(election, batch) });
  } catch (err) {
    parentPort.postMessage({ id, error: err.stack || String(err) });
  }
});
