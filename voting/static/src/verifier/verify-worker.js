// A Web Worker of web-pool.js (bundled to dist/verify-worker.js): the first
// message carries the election object, which it parses once; every later
// one a batch of ballot lines, checked with batch.js's checkBatch.

import { checkBatch, loadElection } from './batch.js';

let election = null;
let failure = null;

self.onmessage = ({ data }) => {
  if ('election' in data) {
    try {
      election = loadElection(data.election);
    } catch (err) {
      failure = err.stack || String(err);
    }
    return;
  }
  const { id, batch } = data;
  if (failure) {
    self.postMessage({ id, error: failure });
    return;
  }
  try {
    self.postMessage({ id, result: checkBatch(election, batch) });
  } catch (err) {
    self.postMessage({ id, error: err.stack || String(err) });
  }
};
