// One ballot event as the verifier checks it (PROTOCOL.md §8.2–§8.4, §7.1;
// checks 8, 9, 10, 12, 13 of §14), mirroring voting/crypto/ballot.py and
// scan.ballot_facts. Runs in the main thread or in a worker thread.

import { canonicalJson, toHex, u32, utf8 } from '../encoding.js';
import { hash32 } from '../hashing.js';
import {
  VerifyError, expectList, expectObject, hexBytes, isObject, parsePoint, parseScalar,
  parseTablePoint,
} from './codec.js';
import { schnorrVerify, verifyMembership } from './proofs.js';

const BALLOT_KEYS = ['version', 'round', 'fingerprint', 'credential', 'contests', 'signature'];
export const NOT_EVALUATED = 'not evaluated: the ballot fails check 8';

/** H32("ballot", canonical JSON without "signature") (§8.3). */
export function ballotHash(obj) {
  const unsigned = {};
  for (const k of Object.keys(obj)) if (k !== 'signature') unsigned[k] = obj[k];
  return hash32('ballot', utf8(canonicalJson(unsigned)));
}

/** H32("tracker", canonical JSON of the whole ballot) (§8.4). */
export function tracker(obj) {
  return hash32('tracker', utf8(canonicalJson(obj)));
}

function ciphertext(obj, what) {
  expectObject(obj, ['alpha', 'beta'], what);
  const alpha = parseTablePoint(obj.alpha, what);
  const beta = parseTablePoint(obj.beta, what);
  return { alpha, beta, alphaHex: obj.alpha, betaHex: obj.beta, alphaBytes: hexBytes(obj.alpha),
    betaBytes: hexBytes(obj.beta) };
}

function contestCiphertexts(obj, contest, what) {
  if (!isObject(obj)) throw new VerifyError(`${what}: expected an object`);
  return expectList(obj.ciphertexts, `${what}.ciphertexts`, contest.tallyEntries())
    .map((ct) => ciphertext(ct, what));
}

/** A ballot's ciphertexts alone, regardless of its other fields (ballot.read_ciphertexts). */
export function readCiphertexts(election, obj) {
  if (!isObject(obj)) throw new VerifyError('ballot: expected an object');
  const contests = election.manifest.contests;
  const items = expectList(obj.contests, 'ballot.contests', contests.length);
  return items.map((item, i) => contestCiphertexts(item, contests[i], `ballot contest ${i}`));
}

function compactProof(obj, branches, what) {
  expectObject(obj, ['c', 'u'], what);
  const c = expectList(obj.c, `${what}.c`, branches);
  const u = expectList(obj.u, `${what}.u`, branches);
  return { c: c.map((x) => parseScalar(x)), u: u.map((x) => parseScalar(x)) };
}

function parseContest(obj, contest, i) {
  const what = `ballot contest ${i}`;
  expectObject(obj, ['ciphertexts', 'proofs', 'range_proof'], what);
  const n = contest.tallyEntries();
  const cts = contestCiphertexts(obj, contest, what);
  if (contest.encoding === 'packed') {
    const branches = contest.selectionSets().length;
    const proofs = expectList(obj.proofs, `${what}.proofs`, 1).map((p) => compactProof(p, branches, what));
    if (obj.range_proof !== null) throw new VerifyError(`${what}: a packed contest has no range proof`);
    return { cts, proofs, range: null };
  }
  const proofs = expectList(obj.proofs, `${what}.proofs`, n).map((p) => compactProof(p, 2, what));
  const range = compactProof(obj.range_proof, contest.max - contest.min + 1, what);
  return { cts, proofs, range };
}

/** Shape, round, fingerprint and decoded values of a ballot (§8.2, check 8). */
export function parseBallot(election, obj) {
  expectObject(obj, BALLOT_KEYS, 'ballot');
  if (obj.version !== 1) throw new VerifyError('ballot: unsupported version');
  if (obj.round !== election.manifest.roundId) throw new VerifyError('ballot is for another round');
  const fp = hexBytes(obj.fingerprint, 'ballot.fingerprint');
  if (toHex(fp) !== toHex(election.fingerprint)) {
    throw new VerifyError('ballot carries another election fingerprint');
  }
  const credential = parsePoint(obj.credential, 'ballot.credential');
  const manifestContests = election.manifest.contests;
  const items = expectList(obj.contests, 'ballot.contests', manifestContests.length);
  const contests = items.map((item, i) => parseContest(item, manifestContests[i], i));
  expectObject(obj.signature, ['c', 'u'], 'ballot.signature');
  const signature = [parseScalar(obj.signature.c), parseScalar(obj.signature.u)];
  return { raw: obj, credential, credentialHex: obj.credential,
    credentialBytes: hexBytes(obj.credential), contests, signature };
}

function context(election, ballot, contest, slot) {
  return [election.fingerprint, election.publicKeyBytes, ballot.credentialBytes, u32(contest),
    u32(slot)];
}

/** The component-wise sum of a contest's ciphertexts, with tables when reused. */
function sum(cts, branches) {
  const total = cts.slice(1).reduce((t, ct) => ({ alpha: t.alpha.add(ct.alpha),
    beta: t.beta.add(ct.beta) }), { alpha: cts[0].alpha, beta: cts[0].beta });
  if (branches > 1) {
    total.alpha.precompute(2);
    total.beta.precompute(2);
  }
  return total;
}

const rangeValues = (c) => Array.from({ length: c.max - c.min + 1 }, (_, k) => c.min + k);

export function verifySignature(election, ballot) {
  schnorrVerify(ballot.credential, 'signature', [election.fingerprint, ballotHash(ballot.raw)],
    ...ballot.signature);
}

export function verifySelectionProofs(election, ballot) {
  election.manifest.contests.forEach((contest, i) => {
    const cb = ballot.contests[i];
    if (contest.encoding === 'packed') {
      verifyMembership(cb.cts[0], cb.proofs[0], election.packed(contest), election.key,
        context(election, ballot, i, 0));
      return;
    }
    cb.cts.forEach((ct, j) => verifyMembership(ct, cb.proofs[j], [0, 1], election.key,
      context(election, ballot, i, j)));
  });
}

export function verifyRangeProofs(election, ballot) {
  election.manifest.contests.forEach((contest, i) => {
    if (contest.encoding === 'packed') return;
    const cb = ballot.contests[i];
    verifyMembership(sum(cb.cts, contest.max - contest.min + 1), cb.range, rangeValues(contest), election.key,
      context(election, ballot, i, cb.cts.length));
  });
}

function failure(check, election, ballot) {
  try {
    check(election, ballot);
  } catch (err) {
    if (!(err instanceof VerifyError)) throw err;
    return err.message;
  }
  return null;
}

/**
 * Checks 8, 9, 10, 12 and 13 on one readable ballot event's body
 * (scan.ballot_facts); null means passed. Also returns the credential
 * (hex), the α's (hex) and the ciphertexts for checks 11 and 15.
 */
export function ballotFacts(election, index, body, beforeClose) {
  const facts = { index, beforeClose, format: null, signature: NOT_EVALUATED, tracker: null,
    selections: NOT_EVALUATED, ranges: NOT_EVALUATED, credential: null, alphas: null,
    ciphertexts: null };
  const obj = body.ballot;
  if (body.tracker !== toHex(tracker(obj))) facts.tracker = 'tracker does not match the ballot';
  let ballot;
  try {
    ballot = parseBallot(election, obj);
  } catch (err) {
    if (!(err instanceof VerifyError)) throw err;
    facts.format = err.message;
    readWhatRemains(election, obj, facts);
    return facts;
  }
  facts.signature = failure(verifySignature, election, ballot);
  facts.selections = failure(verifySelectionProofs, election, ballot);
  facts.ranges = failure(verifyRangeProofs, election, ballot);
  facts.credential = ballot.credentialHex;
  facts.ciphertexts = ballot.contests.map((cb) => cb.cts);
  facts.alphas = facts.ciphertexts.flat().map((ct) => ct.alphaHex);
  return facts;
}

/** A ballot failing check 8 still feeds checks 11 and 15 where it can (§14). */
function readWhatRemains(election, obj, facts) {
  try {
    parsePoint(obj.credential);
    facts.credential = obj.credential;
  } catch {
    // not a valid credential
  }
  try {
    facts.ciphertexts = readCiphertexts(election, obj);
  } catch {
    return;
  }
  facts.alphas = facts.ciphertexts.flat().map((ct) => ct.alphaHex);
}
