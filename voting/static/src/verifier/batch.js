// A batch of ballot lines checked together (PROTOCOL.md §14 checks 1, 8,
// 9, 10, 12, 13; scan._check_batch): in the main thread, or in a worker
// thread that holds its own parsed election. Results are plain data (hex
// strings), so that they cross a worker boundary unchanged.

import { toHex } from '../encoding.js';
import { IDENTITY } from '../group.js';
import { ballotFacts } from './ballot.js';
import { bodyProblem, readEvent } from './events.js';
import { isCanonical } from './json.js';
import { parseElection } from './manifest.js';
import { fixed } from './proofs.js';

/** The parsed election with what ballot checks reuse: K's table, packed values. */
export function prepareElection(election) {
  const cache = new Map();
  election.key = fixed(election.publicKey);
  election.publicKeyBytes = election.publicKey.toBytes();
  election.fingerprintHex = toHex(election.fingerprint);
  election.packed = (contest) => {
    if (!cache.has(contest)) cache.set(contest, contest.packedValues(election.radix));
    return cache.get(contest);
  };
  return election;
}

/** Parse and prepare an election object (worker initialisation). */
export function loadElection(obj) {
  return prepareElection(parseElection(obj));
}

/** Check 1 on a readable event: its body's shape and canonical form. */
export function lineProblems(event, line) {
  const problems = [];
  const problem = bodyProblem(event);
  if (problem) problems.push(problem);
  if (!isCanonical(event, line)) problems.push('not in canonical JSON');
  return problems;
}

/** The tally's zero: one identity ciphertext per entry (§11.1). */
export function emptyTally(election) {
  return election.manifest.contests.map((c) => Array.from({ length: c.tallyEntries() },
    () => ({ alpha: IDENTITY, beta: IDENTITY })));
}

export function addRows(tally, rows) {
  return tally.map((row, i) => row.map((t, j) => ({
    alpha: t.alpha.add(rows[i][j].alpha), beta: t.beta.add(rows[i][j].beta) })));
}

export const tallyHex = (tally) => tally.map((row) => row.map((ct) => ({
  alpha: toHex(ct.alpha.toBytes()), beta: toHex(ct.beta.toBytes()) })));

/**
 * Check a batch [[index, line bytes, beforeClose], …]: per line its header
 * and check 1 problems and its facts (null if unreadable), and the sum (hex)
 * of the before-close ballots' readable ciphertexts.
 */
/**
 * The facts of a ballot that fails check 8 before its contents can be read
 * (the later ballot checks are then not evaluated), as ballot.js's
 * ballotFacts returns them for a readable one.
 */
export function unreadableBallot(index, beforeClose, format, tracker = null) {
  const failsFormat = 'not evaluated: the ballot fails check 8';
  return { index, beforeClose, format, signature: failsFormat, tracker, selections: failsFormat,
    ranges: failsFormat, credential: null, alphas: null };
}

export function checkBatch(election, batch) {
  let total = emptyTally(election);
  const out = [];
  for (const [index, line, beforeClose] of batch) {
    const header = { index, seq: null, parent: null, type: null, problems: [] };
    let facts = null;
    let event = null;
    try {
      event = readEvent(line);
    } catch (err) {
      header.problems.push(err.message);
    }
    if (event) {
      Object.assign(header, { seq: event.seq, parent: event.parent, type: event.type });
      header.problems.push(...lineProblems(event, line));
      if (event.type !== 'ballot') {
        header.problems.push('header does not match the event');
      } else if (bodyProblem(event)) {
        facts = unreadableBallot(index, beforeClose, "the event's body is malformed",
          "not evaluated: the event's body is malformed");
      } else {
        facts = ballotFacts(election, index, event.body, beforeClose);
        if (beforeClose && facts.ciphertexts !== null) total = addRows(total, facts.ciphertexts);
        delete facts.ciphertexts;
      }
    }
    out.push({ header, facts });
  }
  return { out, total: tallyHex(total) };
}
