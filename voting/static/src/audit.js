// Cast or challenge (PROTOCOL.md §8.6, check 19 of §14), mirroring
// voting/crypto/audit.py. DOM-free: the phone's vote page, the public check
// page and the record verifier all import it.
//
// The phone encrypts the voter's choices and shows the *encryption code*, a
// hash of the ciphertexts alone. If the voter challenges instead of casting,
// the phone reveals the encryption as an audit: the ciphertexts with their
// randomness and the choices, and no credential, signature or proof, so the
// audit cannot be linked to the ballot the same card casts next. Anyone
// re-encrypts the choices and compares.
//
//   const { ballot, audit, code } = encryptForChallenge(electionObj, choices, secret);
//   // cast: post `ballot` (encryptBallot's bytes); challenge: post `audit`,
//   // never `ballot`, and encrypt afresh.
//   const { choices, code } = checkAudit(electionObj, audit);   // or throws AuditError

import { ed25519 } from '@noble/curves/ed25519';

import { bytesToBigIntLE, canonicalJson, equalBytes, hexBytes32, toHex, utf8 } from './encoding.js';
import { packedValue, parseElection } from './election.js';
import { BASE, L, decodePoint, osRng, scalarHex } from './group.js';
import { hash32 } from './hashing.js';
import { encryptRevealable, shortTracker } from './ballot.js';

/** The keys of an audit body (§8.6), sorted. */
export const AUDIT_KEYS = ['choices', 'ciphertexts', 'fingerprint', 'randomness', 'round'];

/**
 * An audit that does not verify. `code` is the kind, as the Python
 * reference's error classes name it: 'wrong_election' (another round or
 * fingerprint), 'invalid_structure' (missing, extra or mistyped fields, a
 * zero scalar, a choice its contest forbids), 'invalid_encoding' (not 64
 * lowercase hex, not a valid point, a scalar ≥ L) or 'invalid_proof'
 * (AuditMismatch: the revealed values do not make a ciphertext).
 */
export class AuditError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'AuditError';
    this.code = code;
  }
}

/** A ciphertext that the revealed choice and randomness do not make. */
export class AuditMismatch extends AuditError {
  constructor(message) {
    super('invalid_proof', message);
    this.name = 'AuditMismatch';
  }
}

const structure = (message) => new AuditError('invalid_structure', message);
const encoding = (message) => new AuditError('invalid_encoding', message);

/**
 * E = H32("encryption", canonical JSON of the contests' ciphertext lists)
 * (§8.6): `ciphertextLists[i]` is contest i's `ciphertexts` array of
 * {alpha, beta} hex objects, in manifest order.
 *
 * @returns {Uint8Array} 32 bytes
 */
export function encryptionCode(ciphertextLists) {
  return hash32('encryption', utf8(canonicalJson(ciphertextLists)));
}

/** The encryption code as people compare it: §8.4's short form, XXXX-XXXX. */
export function shortCode(ciphertextLists) {
  return shortTracker(toHex(encryptionCode(ciphertextLists)));
}

/**
 * Encrypt a ballot once, ready to be cast or challenged (§8.6). `ballot` is
 * exactly what encryptBallot makes from the same arguments (the same draws
 * from `rng`), `audit` the §8.6 body revealing that encryption, and `code`
 * its encryption code. Cast `ballot`, or post `audit` and never cast this
 * ballot: its randomness is then public.
 *
 * @param {object} electionObj  the election object of the setup event
 * @param {number[][]} choices  the selected option indices of each contest
 * @param {bigint} secret       the round credential's secret
 * @param {((n: number) => Uint8Array) | {next: (n: number) => Uint8Array}} [rng]
 * @returns {{ballot: object, audit: object, code: string}}
 * @throws {Error} as encryptBallot.
 */
export function encryptForChallenge(electionObj, choices, secret, rng = osRng) {
  const { ballot, election, chosen, randomness } = encryptRevealable(electionObj, choices, secret, rng);
  // Copies, so that neither object can be altered through the other.
  const ciphertexts = ballot.contests.map((c) => c.ciphertexts.map(({ alpha, beta }) => ({ alpha, beta })));
  const audit = {
    round: election.roundId,
    fingerprint: toHex(election.fingerprint),
    ciphertexts,
    randomness: randomness.map((row) => row.map(scalarHex)),
    choices: chosen.map((c) => c.slice()),
  };
  return { ballot, audit, code: shortCode(ciphertexts) };
}

/**
 * Check 19 for one audit body (§8.6): exact keys, this round and
 * fingerprint, the manifest's shape, valid points (§2.2), scalars in
 * [1, L), allowed choices, and the re-encryption reproducing every
 * ciphertext.
 *
 * `body` is the parsed JSON. JSON.parse reads `2.0` as 2, which the
 * reference refuses (not an integer): where the exact types matter, read
 * the text with verifier/json.js's readJson first (the record verifier's
 * check 1 does).
 *
 * @param {object} electionObj  the election object the audit names
 * @param {object} body         the audit, as posted
 * @returns {{choices: number[][], code: string, codeBytes: Uint8Array}}
 * @throws {AuditError} (AuditMismatch for a ciphertext the revealed values do not make)
 * @throws {Error} on a malformed election object.
 */
export function checkAudit(electionObj, body) {
  const election = parseElection(electionObj);
  return verify(election, body, oneShotTables(election.key));
}

/**
 * checkAudit for an election already parsed: `{roundId, fingerprint (bytes),
 * contests: [{id, options, min, max, encoding}], radix, key: {point}}`, as
 * election.js's parseElection returns it (its FixedBase key) or the record
 * verifier adapts its own; products use `key.point`'s table and B's
 * (group.js's window-8 tables, worth it for many audits).
 */
export function checkParsedAudit(election, body) {
  return verify(election, body, { base: BASE, key: election.key.point });
}

/**
 * Honest audits take the quick path: every point is checked by comparing
 * its bytes with the re-encryption's, a point of the prime-order subgroup,
 * which implies §2.2's validity without decoding it. Anything else is
 * checked again strictly, in the reference's order, so that the error
 * thrown is the one verify_audit raises.
 */
function verify(election, body, tables) {
  let audit = null;
  try {
    audit = verifyAudit(election, body, tables, true);
  } catch (err) {
    if (!(err instanceof AuditError)) throw err;
  }
  return audit ?? verifyAudit(election, body, tables, false);
}

/**
 * Window of the tables checkAudit multiplies with. One audit takes a few
 * dozen products by B and by K, on a device that has not built group.js's
 * window-8 tables for encrypting (the check page): window-5 tables (832
 * points each, against 4,224) take a 30-contest audit from about 0.65 s to
 * about 0.4 s in a phone-sized Chromium at 4× CPU throttling, first check
 * included. The record verifier has built the window-8 tables for the
 * ballots' proofs already and uses them (checkParsedAudit).
 */
const ONE_SHOT_WINDOW = 5;
const ONE_SHOT_CACHE = 4;
const oneShot = new Map();
let oneShotBase = null;

/** B and K with window-5 tables, built on first use, reused per key. */
function oneShotTables(key) {
  const hex = toHex(key.bytes);
  let tables = oneShot.get(hex);
  if (!tables) {
    // A distinct point object per table: noble keys its tables by object.
    if (!oneShotBase) {
      oneShotBase = ed25519.Point.fromAffine(BASE.toAffine()).precompute(ONE_SHOT_WINDOW);
    }
    tables = { base: oneShotBase,
      key: ed25519.Point.fromAffine(key.point.toAffine()).precompute(ONE_SHOT_WINDOW) };
    if (oneShot.size >= ONE_SHOT_CACHE) oneShot.delete(oneShot.keys().next().value);
    oneShot.set(hex, tables);
  }
  return tables;
}

/**
 * verify_audit, step by step. `quick`: points are only read as hex, the
 * re-encryptions are compared all at once at the end, and any doubt (a
 * mismatch, the identity) returns null for the strict pass.
 */
function verifyAudit(election, body, tables, quick) {
  expectObject(body, AUDIT_KEYS, 'audit');
  if (expectStr(body.round, 'round', 200) !== election.roundId
      || body.fingerprint !== toHex(election.fingerprint)) {
    throw new AuditError('wrong_election', 'the audit names another round or fingerprint');
  }
  const contests = election.contests;
  const rows = expectList(body.ciphertexts, 'ciphertexts', contests.length);
  const rRows = expectList(body.randomness, 'randomness', contests.length);
  const cRows = expectList(body.choices, 'choices', contests.length);
  const chosenAll = [];
  const jobs = [];
  for (let i = 0; i < contests.length; i++) {
    const contest = contests[i];
    const n = contest.encoding === 'packed' ? 1 : contest.options.length;
    const cts = expectList(rows[i], `contest ${i} ciphertexts`, n)
      .map((ct) => ciphertext(ct, `contest ${i} ciphertext`, quick));
    const rs = expectList(rRows[i], `contest ${i} randomness`, n).map((r) => scalar(r));
    if (rs.some((r) => r === 0n)) throw structure(`contest ${i}: randomness must be non-zero`);
    const chosen = checkChoice(contest, cRows[i]);
    const ms = plaintexts(election, contest, chosen);
    const contestJobs = cts.map((ct, j) => ({ contest, j, m: ms[j], r: rs[j], ct }));
    if (quick) jobs.push(...contestJobs);
    else reEncrypts(tables, contestJobs, false);
    chosenAll.push(chosen);
  }
  if (quick && !reEncrypts(tables, jobs, true)) return null;
  const codeBytes = encryptionCode(rows);
  return { choices: chosenAll, code: shortTracker(toHex(codeBytes)), codeBytes };
}

/** What each of a contest's ciphertexts encrypts (§6.2, §6.3). */
function plaintexts(election, contest, chosen) {
  if (contest.encoding === 'packed') return [BigInt(packedValue(chosen, election.radix))];
  return contest.options.map((_, j) => (chosen.includes(j) ? 1n : 0n));
}

/**
 * Re-encrypt each job's (m, r) as (r·B, m·B + r·K) (§6.1) and compare with
 * its ciphertext's bytes, in order. On the first difference: false when
 * `quick`, else AuditMismatch. A quick pass also answers false on the
 * identity, which matches no valid point (the strict pass has decoded
 * every point, so there it cannot match).
 *
 * The values are public (the randomness is revealed), so the products are
 * variable-time, with the base point's and K's tables, and the points are
 * normalised together (one field inversion for all of them).
 */
function reEncrypts({ base, key }, jobs, quick) {
  const points = [];
  for (const { m, r } of jobs) {
    let beta = key.multiplyUnsafe(r);
    if (m !== 0n) beta = beta.add(base.multiplyUnsafe(m));
    points.push(base.multiplyUnsafe(r), beta);
  }
  if (quick && points.some((p) => p.is0())) return false;
  const normal = ed25519.Point.normalizeZ(points);
  for (let k = 0; k < jobs.length; k++) {
    const { contest, j, ct } = jobs[k];
    if (!equalBytes(normal[2 * k].toBytes(), ct.alpha)
        || !equalBytes(normal[2 * k + 1].toBytes(), ct.beta)) {
      if (quick) return false;
      throw new AuditMismatch(`contest ${contest.id}, ciphertext ${j}: the revealed `
        + 'choice and randomness do not make this ciphertext');
    }
  }
  return true;
}

/**
 * Ascending distinct option indices, as many as the contest allows
 * (audit.check_choice).
 */
function checkChoice(contest, chosen) {
  const items = expectList(chosen, `choices of ${contest.id}`);
  const allowed = items.every((j, k) => typeof j === 'number' && Number.isSafeInteger(j)
    && j >= 0 && j < contest.options.length && (k === 0 || items[k - 1] < j));
  if (!allowed || items.length < contest.min || items.length > contest.max) {
    throw structure(`contest ${contest.id}: not an allowed choice`);
  }
  return items.slice();
}

/** A ciphertext object: exact keys, 64 lowercase hex each; `quick` skips §2.2's decoding. */
function ciphertext(obj, what, quick) {
  expectObject(obj, ['alpha', 'beta'], what);
  const out = {};
  for (const name of ['alpha', 'beta']) {
    let bytes;
    try {
      bytes = hexBytes32(obj[name], what);
      if (!quick) decodePoint(bytes, what);
    } catch (err) {
      throw encoding(err.message);
    }
    out[name] = bytes;
  }
  return out;
}

/** A canonical scalar as 64 lowercase hex (§2.3): refused when ≥ L. */
function scalar(value) {
  let k;
  try {
    k = bytesToBigIntLE(hexBytes32(value, 'scalar'));
  } catch (err) {
    throw encoding(err.message);
  }
  if (k >= L) throw encoding('scalar is not reduced mod L');
  return k;
}

function expectObject(value, keys, what) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw structure(`${what}: expected an object`);
  }
  const have = Object.keys(value);
  const missing = keys.filter((k) => !Object.hasOwn(value, k)).sort();
  const extra = have.filter((k) => !keys.includes(k)).sort();
  if (missing.length || extra.length) {
    throw structure(`${what}: missing [${missing}], unexpected [${extra}]`);
  }
  return value;
}

function expectList(value, what, length = null) {
  if (!Array.isArray(value)) throw structure(`${what}: expected a list`);
  if (length !== null && value.length !== length) {
    throw structure(`${what}: expected ${length} items, got ${value.length}`);
  }
  return value;
}

/** A non-empty string of at most maxLen code points (Python's len). */
function expectStr(value, what, maxLen) {
  if (typeof value !== 'string' || value.length === 0 || [...value].length > maxLen) {
    throw structure(`${what}: expected a non-empty string`);
  }
  return value;
}
