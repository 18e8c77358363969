#!/usr/bin/env node
// Verify election records from the command line (PROTOCOL.md §14):
//
//   npm run --silent verify -- record.zip [more.zip …] [--workers N] [--json]
//                               [--server-key HEX] [--client-hash SHA256]
//
// Prints the 19 checks as `[ n] PASS|FAIL  title` with failure details and
// the verified counts and outcomes, like voting-verify; --json prints one report a line
// instead. Ballots are checked in N worker threads (default 2; 1 = this
// thread). --server-key names the key the records must be signed by (its
// fingerprint, §13: 64 hex digits, spaces allowed); check 3 fails on another.
// --client-hash names the ballot client's SHA-256 (§5.3); check 4 fails on another.
// Exits 0 only when every check of every record passes.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import {
  countLines, keyLine, outcomeLines, reportLines, verifyRecord,
} from './checks.js';
import { WorkerChecker } from './node-pool.js';
import { LocalChecker } from './scan.js';
import { readRecordZip } from './zip.js';

function usage() {
  process.stderr.write('usage: verify record.zip [more.zip …] [--workers N] [--json] '
    + '[--server-key HEX] [--client-hash SHA256]\n');
  process.exit(2);
}

async function main(argv) {
  let workers = 2;
  let json = false;
  let serverKey = null;
  let clientHash = null;
  const paths = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') json = true;
    else if (argv[i] === '--workers') workers = Number(argv[++i]);
    else if (argv[i].startsWith('--workers=')) workers = Number(argv[i].slice(10));
    else if (argv[i] === '--server-key') serverKey = argv[++i] ?? '';
    else if (argv[i] === '--client-hash') clientHash = (argv[++i] ?? '').trim().toLowerCase();
    else if (argv[i] === '--quiet') continue;
    else if (argv[i].startsWith('-')) usage();
    else paths.push(argv[i]);
  }
  if (serverKey !== null) serverKey = serverKey.replace(/[ :]/g, '').toLowerCase();
  if (!paths.length || !Number.isInteger(workers) || workers < 1) usage();
  if (serverKey !== null && !/^[0-9a-f]{64}$/.test(serverKey)) usage();
  if (clientHash !== null && !/^[0-9a-f]{64}$/.test(clientHash)) usage();
  let ok = true;
  for (const path of paths) {
    const started = performance.now();
    let record;
    try {
      record = readRecordZip(new Uint8Array(readFileSync(path)));
    } catch (err) {
      record = { unreadable: `cannot read the record: ${err.message}` };
    }
    const checker = workers > 1 ? new WorkerChecker(workers) : new LocalChecker();
    const report = await verifyRecord(record, checker, { serverKey, clientHash });
    ok &&= report.ok;
    if (json) {
      process.stdout.write(`${JSON.stringify({ path, ...report })}\n`);
      continue;
    }
    const out = reportLines(report);
    if (keyLine(report)) out.push(keyLine(report));
    if (report.ballotClient) out.push(`Ballot client: sha256 ${report.ballotClient}`);
    if (report.counts) out.push('Counts verified (check 17):', ...countLines(report));
    if (report.outcomes?.length) out.push('Outcomes verified (check 18):', ...outcomeLines(report));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    out.push(`${report.ok ? 'VALID: every check passed' : 'INVALID: see the failed checks'} `
      + `(${report.ballots} ballots, ${seconds} s)`);
    process.stdout.write(`${out.join('\n')}\n`);
  }
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 2;
});
