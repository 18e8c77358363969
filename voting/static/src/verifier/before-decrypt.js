// Verify before decrypt: a trustee's browser checks the round's board itself
// and decrypts only the tally it recomputes from the ballots (PROTOCOL.md
// §11.1, §14), so that a server cannot have a single ballot, or a tally
// that leaves one out, decrypted in the tally's place.
//
//   const { ciphertexts, election, ballots } = await verifiedTally(boardBytes,
//     { onProgress, pool });
//
// `boardBytes` is the round's board.jsonl as it stands (§13: one canonical
// event per line, each ending with "\n"); it is read up to and including its
// first tally event, and the events after it (other trustees' partial
// decryptions, a result) are not read: they do not change what is decrypted.
// That prefix must be setup, open, (ballot | revoke | audit)*, close, tally,
// and pass checks 1, 2 (ending with the tally), 4–13, 14, 15 and 19 (every
// audit before the close reproduces its ciphertexts: a board showing a
// client caught encrypting other choices is not decrypted). Check 3 (the
// record's signature) does not apply to a board that is still growing, and
// 16–18 concern what comes after the tally. On a failure it throws a
// BoardRefused naming the first failed check; else it returns the tally
// RECOMPUTED from the ballots before close, never the event's copy.

import { toHex } from '../encoding.js';
import { CHECKS, runChecks } from './checks.js';
import { LocalChecker, Scan } from './scan.js';
import { tallyHex } from './batch.js';

/** The checks that apply to a board cut after its tally event. */
export const BEFORE_DECRYPT_CHECKS = [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 19];

/** Lines handed to the scan between two progress reports (and yields). */
const STEP = 16;
/** Batches in flight before the reader waits for the checkers. */
const MAX_PENDING = 8;

// A board prefix has no signature.json; check 3 is not run, and this
// well-formed stand-in keeps checks 1 and 2 from reporting a missing member.
const NO_SIGNATURE = new TextEncoder().encode(
  `{"events":0,"head":"${'00'.repeat(32)}","signature":"${'00'.repeat(64)}"}`);

/** The short name of check `n` ("Encrypted tally"), as CHECKS titles it. */
export function checkName(n) {
  return CHECKS[n][0].split(':')[0];
}

/** The board does not verify: `check` is the first failed check. */
export class BoardRefused extends Error {
  constructor(check, detail, failed) {
    super(`Check ${check} (${checkName(check)}) failed: ${detail}`);
    this.name = 'BoardRefused';
    this.check = check;
    this.title = checkName(check);
    this.detail = detail;
    /** Every failed check: number -> its failures. */
    this.failed = failed;
  }
}

function countLines(bytes) {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) n++;
  return n;
}

/**
 * Verify a board up to its tally event and recompute the encrypted tally.
 *
 * @param {Uint8Array} boardBytes the board's lines, as board.jsonl holds them
 * @param {object} [options]
 * @param {(done: number, total: number) => (void|Promise<void>)} [options.onProgress]
 *   lines read so far, of the board's lines; awaited, so a caller on a page
 *   can yield there to keep it responsive
 * @param {object} [options.pool] a ballot checker (scan.js LocalChecker by
 *   default; node-pool.js or web-pool.js for worker threads)
 * @returns {Promise<{ciphertexts: Array<Array<{alpha: string, beta: string}>>,
 *   election: object, electionObject: object, fingerprint: string, publicKey: string,
 *   cast: number, ballots: number, events: number}>}
 * @throws {BoardRefused} when a check fails
 */
export async function verifiedTally(boardBytes, { onProgress, pool } = {}) {
  const bytes = boardBytes instanceof Uint8Array ? boardBytes : new Uint8Array(boardBytes);
  const scan = new Scan(pool ?? new LocalChecker());
  scan.signatureJson = NO_SIGNATURE;
  const total = Math.max(1, countLines(bytes) + (bytes.length && bytes[bytes.length - 1] !== 10));
  let pos = 0;
  let index = 0;
  try {
    while (pos < bytes.length) {
      const end = bytes.indexOf(10, pos);
      if (end < 0) {
        scan.newlineMissing = true;
        scan.line(index++, bytes.subarray(pos));
        break;
      }
      scan.line(index++, bytes.subarray(pos, end));
      pos = end + 1;
      if (scan.lines[index - 1].type === 'tally') break; // the prefix ends here
      if (scan.pending.length > MAX_PENDING) await scan.settle(MAX_PENDING / 2);
      if (index % STEP === 0 && onProgress) await onProgress(index, total);
    }
  } catch (err) {
    scan.checker.close();
    throw err;
  }
  await scan.finish();
  if (onProgress) await onProgress(total, total);

  const checks = runChecks(scan, BEFORE_DECRYPT_CHECKS, { final: 'tally' });
  const failed = Object.fromEntries(Object.entries(checks).filter(([, f]) => f.length));
  const numbers = Object.keys(failed).map(Number).sort((a, b) => a - b);
  if (numbers.length) throw new BoardRefused(numbers[0], failed[numbers[0]][0], failed);

  const election = scan.election;
  return {
    ciphertexts: tallyHex(scan.ballotSum),
    election,
    electionObject: scan.setup.election,
    fingerprint: election.fingerprintHex,
    publicKey: toHex(election.publicKeyBytes),
    cast: scan.ballots.filter((b) => b.beforeClose).length,
    ballots: scan.ballots.length,
    events: scan.lines.length,
  };
}
