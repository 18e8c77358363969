// Verify a downloaded record in a browser (PROTOCOL.md §13, §14): the same
// scan and the same 19 checks as checks.js's verifyRecord (and so as
// voting-verify), with what a page needs on the way: progress while the
// board is read, each check's verdict as soon as it is known, and what the
// verifier itself computed (fingerprint, head, counts), never what the
// server says about the record. DOM-free: the page (pages/verify.js)
// renders.
//
//   const report = await verifyInBrowser(zipBytes, { workerUrl, onProgress, onCheck });
//
// Ballots are checked in Web Workers (web-pool.js) when `workerUrl` is
// given and the browser has them; if the workers fail (not a check: a
// worker that cannot start or crashes), the whole record is verified again
// in this thread.

import { toHex } from '../encoding.js';
import { CHECKS, runChecks } from './checks.js';
import { fingerprint } from './manifest.js';
import { LocalChecker, Scan, containerProblems, readBoardLines } from './scan.js';
import { WebWorkerChecker } from './web-pool.js';
import { readRecordZip } from './zip.js';

/** The checks, in the order they are run and reported. */
export const CHECK_NUMBERS = Object.keys(CHECKS).map(Number).sort((a, b) => a - b);
/** Checks run together: 16 and 17 both verify every partial decryption. */
const TOGETHER = [16, 17];
/** Lines handed to the scan between two progress reports (and yields). */
const STEP = 16;

/**
 * A checker's rejected batches are awaited one at a time by the scan; the
 * others would be reported as unhandled rejections when the workers fail.
 * This wrapper marks them handled (the scan still sees the first failure).
 */
class QuietChecker {
  constructor(inner) { this.inner = inner; }
  init(electionObj, election) { this.inner.init(electionObj, election); }
  submit(batch) {
    const pending = this.inner.submit(batch);
    pending.catch(() => {});
    return pending;
  }
  close() { this.inner.close(); }
}

function lineCount(bytes) {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) n++;
  return n + (bytes.length > 0 && bytes[bytes.length - 1] !== 10 ? 1 : 0);
}

/** scan.js's scanRecord, reporting `onProgress(done, total)` lines as it reads. */
async function scanWithProgress(record, checker, onProgress) {
  const scan = new Scan(checker);
  if (record.unreadable) {
    scan.unreadable = record.unreadable;
    checker.close();
    return scan;
  }
  scan.container = containerProblems(record.names ?? []);
  if (scan.container.some((p) => p.includes('appears'))) {
    checker.close();
    return scan;
  }
  scan.signatureJson = record.signature;
  const board = record.board;
  const total = Math.max(1, lineCount(board));
  try {
    await readBoardLines(scan, board, async (index) => {
      if (index % STEP === 0) await onProgress(index, total);
    });
  } catch (err) {
    checker.close();
    throw err;
  }
  await scan.finish();
  await onProgress(total, total);
  return scan;
}

/** What the verifier computed from the record itself (nothing the server claims). */
function computed(scan) {
  let recomputed = null;
  if (scan.setup) {
    try {
      recomputed = toHex(fingerprint(scan.setup.election));
    } catch {
      recomputed = null; // an election object that is not even JSON-encodable
    }
  }
  return { fingerprint: recomputed, head: scan.lines.length ? scan.head : null,
    events: scan.lines.length };
}

/** The per-contest counts of the result event, with the manifest's titles (check 17 passed). */
function verifiedCounts(scan) {
  const counts = scan.first('result')[2].counts;
  return scan.election.manifest.raw.contests.map((contest, i) => ({
    id: contest.id,
    title: contest.title,
    options: contest.options.map((option, j) => ({ id: option.id, title: option.title,
      count: counts[i][j] })),
  }));
}

/** Run every check on a finished scan, reporting each group as it completes. */
async function checkAll(scan, onCheck) {
  const checks = {};
  const groups = CHECK_NUMBERS.filter((n) => !TOGETHER.slice(1).includes(n))
    .map((n) => (n === TOGETHER[0] ? TOGETHER : [n]));
  for (const group of groups) {
    Object.assign(checks, runChecks(scan, group));
    for (const n of group) await onCheck(n, checks[n]);
  }
  return checks;
}

/**
 * Verify one record (the zip's bytes) with the given ballot checker.
 *
 * @returns {Promise<{checks: Object<number, string[]>, ok: boolean, ballots: number,
 *   cast: number, contests: Array|null, fingerprint: string|null, head: string|null,
 *   events: number}>} `checks[n]` holds check n's failures (empty: passed);
 *   `contests` the verified counts, or null when check 17 failed
 */
export async function verifyRecordBytes(zipBytes, { checker = new LocalChecker(),
  onProgress = () => {}, onCheck = () => {} } = {}) {
  let record;
  try {
    record = readRecordZip(zipBytes);
  } catch (err) {
    record = { unreadable: `cannot read the record: ${err.message}` };
  }
  const scan = await scanWithProgress(record, checker, onProgress);
  const checks = await checkAll(scan, onCheck);
  return {
    checks,
    ok: CHECK_NUMBERS.every((n) => checks[n].length === 0),
    ballots: scan.ballots.length,
    cast: scan.ballots.filter((b) => b.beforeClose).length,
    contests: checks[17].length ? null : verifiedCounts(scan),
    ...computed(scan),
  };
}

/**
 * verifyRecordBytes with ballots checked in Web Workers running
 * `workerUrl` (dist/verify-worker.js) where possible, else in this thread.
 * `onProgress(done, total)` counts board lines; it starts again from 0
 * if the workers fail and this thread takes over. `onCheck(n, failures)`
 * is called once per check. Both are awaited: yield there to let the
 * page paint.
 */
export async function verifyInBrowser(zipBytes, { workerUrl = null, onProgress, onCheck } = {}) {
  if (workerUrl && typeof Worker !== 'undefined') {
    let scanned = false;
    try {
      const checker = new QuietChecker(new WebWorkerChecker(workerUrl));
      return await verifyRecordBytes(zipBytes, { checker, onProgress,
        onCheck: (n, failures) => { scanned = true; return onCheck && onCheck(n, failures); } });
    } catch (err) {
      if (scanned) throw err; // the checks themselves failed, not the workers
    }
  }
  return verifyRecordBytes(zipBytes, { checker: new LocalChecker(), onProgress, onCheck });
}
