// Drive verifiedTally (voting/static/src/verifier/before-decrypt.js) from
// pytest (tests/client/test_before_decrypt.py): every argument is a board
// file (board.jsonl bytes); one JSON line is printed per board, in order:
// {"ok": true, "ciphertexts": …, "fingerprint": …, "public_key": …, "cast": n,
//  "ballots": n, "events": n} or {"ok": false, "check": n, "message": "…",
// "failed": [n, …]}. `--workers N` checks ballots in N worker threads.

import { readFileSync } from 'node:fs';

import { BoardRefused, verifiedTally } from '../../voting/static/src/verifier/before-decrypt.js';
import { WorkerChecker } from '../../voting/static/src/verifier/node-pool.js';

const args = process.argv.slice(2);
let workers = 0;
if (args[0] === '--workers') {
  workers = Number(args[1]);
  args.splice(0, 2);
}

for (const path of args) {
  const pool = workers ? new WorkerChecker(workers) : undefined;
  let progress = 0;
  try {
    const out = await verifiedTally(readFileSync(path), {
      pool, onProgress: (done, total) => { progress = done / total; } });
    console.log(JSON.stringify({ ok: true, ciphertexts: out.ciphertexts,
      fingerprint: out.fingerprint, public_key: out.publicKey, cast: out.cast,
      ballots: out.ballots, events: out.events, progress }));
  } catch (err) {
    if (!(err instanceof BoardRefused)) throw err;
    console.log(JSON.stringify({ ok: false, check: err.check, message: err.message,
      failed: Object.keys(err.failed).map(Number) }));
  }
}
