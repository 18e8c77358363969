// Time the browser client's ballot proving under Node.
//
//   node bench/js_prove.mjs ELECTION.json [RUNS]
//
// ELECTION.json holds an election object (as in the board's setup event),
// or {"election": {...}} with optionally "choices": [[...], ...]. Without
// choices, every packed contest gets "agree" (option 0) and every options
// contest its first max(min, 1) options (capped at max). The bench encrypts
// 2 warm-up ballots (building the fixed-base tables), then RUNS timed ones
// (default 7), and prints one JSON line: {"js_prove_ms_median": ms, "runs": RUNS}.

import { readFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';
import { performance } from 'node:perf_hooks';

// Node 18 has no global WebCrypto without a flag; the client uses it for randomness.
if (!globalThis.crypto) globalThis.crypto = webcrypto;

const WARMUPS = 2;

/** Load the bundle the browser runs; fall back to the sources if it is not built. */
async function loadClient() {
  try {
    return await import('../voting/static/dist/ballot.js');
  } catch (err) {
    if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    process.stderr.write('bench/js_prove.mjs: bundle not built, using voting/static/src\n');
    return import('../voting/static/src/ballot.js');
  }
}

/** Default choices: agree on packed contests, the first allowed options elsewhere. */
function defaultChoices(election) {
  return election.manifest.contests.map((c) => {
    if (c.encoding === 'packed') return [0];
    const k = Math.min(c.max, Math.max(c.min, 1));
    return Array.from({ length: k }, (_, j) => j);
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function main() {
  const [path, runsArg] = process.argv.slice(2);
  if (!path) {
    process.stderr.write('usage: node bench/js_prove.mjs ELECTION.json [RUNS]\n');
    process.exit(2);
  }
  const runs = runsArg ? Number.parseInt(runsArg, 10) : 7;
  if (!(runs > 0)) throw new Error('RUNS must be a positive integer');
  const input = JSON.parse(readFileSync(path, 'utf8'));
  const election = input.election ?? input;
  const choices = input.choices ?? defaultChoices(election);

  const client = await loadClient();
  const token = new Uint8Array(16).fill(7);
  const { secret } = client.deriveCredential(token, election.manifest.round);

  const times = [];
  for (let i = 0; i < WARMUPS + runs; i++) {
    const t0 = performance.now();
    client.encryptBallot(election, choices, secret);
    const ms = performance.now() - t0;
    if (i >= WARMUPS) times.push(ms);
  }
  const result = { js_prove_ms_median: Math.round(median(times) * 10) / 10, runs };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
