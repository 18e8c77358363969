// Distributed key generation, the trustee's side (PROTOCOL.md §4.5),
// mirroring voting/crypto/dkg.py. Nothing here touches the DOM.
//
// As dealer i, a trustee commits to a polynomial (commitMessage: the hash
// of its commitments, the coefficients sealed to its own enrolment key),
// reveals it once every dealer has committed (openCoefficients, then
// revealMessage: commitments, coefficient proofs and one share envelope per
// trustee), and confirms once every dealer has revealed (receiveShares:
// open the n envelopes addressed to it, check each against its dealer's
// commitments, or complain about the first dealer whose share fails).
//
// With the same rng the messages are byte-identical to Python's: the proof
// nonces w are drawn in coefficient order, then each envelope's ephemeral
// key and nonce, recipient by recipient.

import { bytesToBigIntLE, hexBytes32, isJsonInt, toHex, u32, u64 } from '../encoding.js';
import {
  IDENTITY, L, encodePoint, mulBase, osRng, parsePointHex, pointHex, randomScalar, scalarBytes,
  scalarHex,
} from '../group.js';
import { hash32 } from '../hashing.js';
import { schnorrSign } from '../proofs.js';
import { CannotOpen, COEFFICIENTS, InvalidEnvelope, SHARE, openSealed, seal } from './envelope.js';

const MAX_TRUSTEES = 32;
const CEREMONY_KEYS = ['attempt', 'conference_id', 'enrolment_keys', 'threshold'];

/**
 * A dealer's share to this trustee does not open or does not match the
 * dealer's commitments (dkg.Complaint); `dealer` is the dealer's number 1…n.
 */
export class Complaint extends Error {
  constructor(dealer, reason) {
    super(`dealer ${dealer}: ${reason}`);
    this.name = 'Complaint';
    this.dealer = dealer;
  }
}

/**
 * The public frame of one attempt (dkg.Ceremony), from the server's JSON
 * {conference_id, attempt, threshold, enrolment_keys: [hex, …]}: exactly
 * these keys, integers (never booleans) with 1 ≤ t ≤ n ≤ 32, each key 32
 * bytes of lowercase hex.
 *
 * @returns {{conferenceId: number, attempt: number, threshold: number,
 *            enrolmentKeys: Uint8Array[], trustees: number}}
 * @throws {Error}
 */
export function ceremonyFromJson(obj) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new Error('ceremony: expected an object');
  }
  const keys = Object.keys(obj).sort();
  if (keys.length !== CEREMONY_KEYS.length || keys.some((k, i) => k !== CEREMONY_KEYS[i])) {
    throw new Error(`ceremony: expected exactly the fields ${CEREMONY_KEYS.join(', ')}`);
  }
  if (!isJsonInt(obj.conference_id, 1)) throw new Error('ceremony: a conference id is a positive integer');
  if (!isJsonInt(obj.attempt, 1, 0xffffffff)) throw new Error('ceremony: an attempt is an integer from 1');
  const list = obj.enrolment_keys;
  if (!Array.isArray(list) || list.length < 1 || list.length > MAX_TRUSTEES) {
    throw new Error('ceremony: 1 to 32 enrolment keys');
  }
  if (!isJsonInt(obj.threshold, 1, list.length)) {
    throw new Error('ceremony: the threshold is an integer from 1 to the number of trustees');
  }
  const enrolmentKeys = list.map((hex, i) => hexBytes32(hex, `ceremony: enrolment key ${i + 1}`));
  return Object.freeze({ conferenceId: obj.conference_id, attempt: obj.attempt,
    threshold: obj.threshold, enrolmentKeys: Object.freeze(enrolmentKeys),
    trustees: enrolmentKeys.length });
}

/** A dealer's or recipient's number: an integer 1…n, never a boolean. */
function trusteeNumber(ceremony, value, what) {
  if (!isJsonInt(value, 1, ceremony.trustees)) {
    throw new Error(`${what}: an integer from 1 to ${ceremony.trustees}`);
  }
  return value;
}

/** Context items of a share envelope: conference id, attempt, dealer, recipient (§4.4). */
export function shareItems(ceremony, dealer, recipient) {
  return [ceremony.conferenceId, ceremony.attempt, dealer, recipient];
}

/** Context items of the sealed coefficients: conference id, attempt, dealer (§4.4). */
export function coefficientItems(ceremony, dealer) {
  return [ceremony.conferenceId, ceremony.attempt, dealer];
}

/** a_0 … a_{t−1}: uniform non-zero scalars, as group.random_scalar draws them (§4.1, §12). */
export function drawCoefficients(threshold, rng = osRng) {
  if (!isJsonInt(threshold, 1, MAX_TRUSTEES)) throw new Error('a threshold is an integer from 1 to 32');
  return Array.from({ length: threshold }, () => randomScalar(rng));
}

function checkCoefficients(ceremony, coefficients) {
  if (!Array.isArray(coefficients) || coefficients.length !== ceremony.threshold
      || coefficients.some((a) => typeof a !== 'bigint' || a <= 0n || a >= L)) {
    throw new Error(`coefficients: ${ceremony.threshold} non-zero scalars`);
  }
  return coefficients;
}

/**
 * h_i = H32("dealing-commitment", u64(conference), u32(attempt), u32(i),
 * C_{i,0} … C_{i,t−1}) (§4.5).
 *
 * @param {Array<Uint8Array|object>} commitmentPoints points, or their 32-byte encodings
 * @returns {Uint8Array} 32 bytes
 */
export function commitmentHash(ceremony, dealer, commitmentPoints) {
  const encoded = commitmentPoints.map((c) => (c instanceof Uint8Array ? c : encodePoint(c)));
  return hash32('dealing-commitment', u64(ceremony.conferenceId), u32(ceremony.attempt),
    u32(dealer), ...encoded);
}

/**
 * The commit message (dkg.commit): the commitment hash, and the
 * coefficients sealed to the dealer's own enrolment key, so that any device
 * with the passphrase can reveal.
 *
 * @returns {{commitment_hash: string, sealed_coefficients: object}}
 */
export function commitMessage(ceremony, dealer, coefficients, rng = osRng) {
  trusteeNumber(ceremony, dealer, 'dealer');
  checkCoefficients(ceremony, coefficients);
  const commitments = coefficients.map((a) => mulBase(a));
  const plain = new Uint8Array(32 * coefficients.length);
  coefficients.forEach((a, k) => plain.set(scalarBytes(a), 32 * k));
  try {
    const sealed = seal(ceremony.enrolmentKeys[dealer - 1], plain, COEFFICIENTS,
      coefficientItems(ceremony, dealer), rng);
    return { commitment_hash: toHex(commitmentHash(ceremony, dealer, commitments)),
      sealed_coefficients: sealed };
  } finally {
    plain.fill(0);
  }
}

/** Read a 32-byte little-endian scalar, refusing values ≥ L (group.decode_scalar); null if not one. */
function scalarOrNull(bytes) {
  const s = bytesToBigIntLE(bytes);
  return s < L ? s : null;
}

/**
 * The coefficients of a commit message, with the dealer's private key
 * (dkg.open_coefficients).
 *
 * @param {Uint8Array} seed the dealer's X25519 private key
 * @returns {bigint[]}
 * @throws {CannotOpen|InvalidEnvelope}
 */
export function openCoefficients(ceremony, dealer, seed, sealedJson) {
  trusteeNumber(ceremony, dealer, 'dealer');
  const t = ceremony.threshold;
  const plain = openSealed(seed, sealedJson, COEFFICIENTS, coefficientItems(ceremony, dealer), 32 * t);
  try {
    const out = [];
    for (let k = 0; k < t; k++) {
      const a = scalarOrNull(plain.subarray(32 * k, 32 * k + 32));
      if (a === null) throw new CannotOpen('the sealed coefficients are not scalars');
      out.push(a);
    }
    return out;
  } finally {
    plain.fill(0);
  }
}

/** f(x) = Σ a_k·x^k mod L, by Horner's rule (keys._evaluate). */
function evaluate(coefficients, x) {
  let result = 0n;
  for (let k = coefficients.length - 1; k >= 0; k--) result = (result * BigInt(x) + coefficients[k]) % L;
  return result;
}

/**
 * The reveal message (dkg.reveal, keys.dealing_of): the commitments, their
 * Schnorr "coefficient" proofs with dealer number i − 1 (§4.2), and f_i(j)
 * sealed to each P_j (§4.4), j = 1…n.
 *
 * @returns {{commitments: string[], proofs: Array<{c: string, u: string}>, shares: object[]}}
 */
export function revealMessage(ceremony, dealer, coefficients, rng = osRng) {
  trusteeNumber(ceremony, dealer, 'dealer');
  checkCoefficients(ceremony, coefficients);
  const commitments = coefficients.map((a) => pointHex(mulBase(a)));
  const proofs = coefficients.map((a, j) => {
    const { c, u } = schnorrSign(a, 'coefficient', [u32(dealer - 1), u32(j)], rng);
    return { c: scalarHex(c), u: scalarHex(u) };
  });
  const shares = [];
  for (let j = 1; j <= ceremony.trustees; j++) {
    const plain = scalarBytes(evaluate(coefficients, j));
    try {
      shares.push(seal(ceremony.enrolmentKeys[j - 1], plain, SHARE, shareItems(ceremony, dealer, j), rng));
    } finally {
      plain.fill(0);
    }
  }
  return { commitments, proofs, shares };
}

/**
 * Σ_k (index^k mod L)·C_k (dkg.feldman): what f(index)·B must equal, by
 * Horner's rule over the public points.
 */
export function feldman(commitments, index) {
  const x = BigInt(index);
  let total = IDENTITY;
  for (let k = commitments.length - 1; k >= 0; k--) total = total.multiplyUnsafe(x).add(commitments[k]);
  return total;
}

/** A reveal's commitments: exactly t valid points (§2.2). */
function revealCommitments(ceremony, reveal, dealer) {
  const list = reveal.commitments;
  if (!Array.isArray(list) || list.length !== ceremony.threshold) {
    throw new Error(`dealer ${dealer}: expected ${ceremony.threshold} commitments`);
  }
  return list.map((hex, k) => parsePointHex(hex, `dealer ${dealer} commitment ${k}`));
}

/** The envelope a reveal seals to `recipient`: its list has one per trustee. */
function revealEnvelope(ceremony, reveal, dealer, recipient) {
  if (reveal === null || typeof reveal !== 'object' || !Array.isArray(reveal.shares)
      || reveal.shares.length !== ceremony.trustees) {
    throw new Error(`dealer ${dealer}: expected a reveal with ${ceremony.trustees} share envelopes`);
  }
  return reveal.shares[recipient - 1];
}

/** The share sealed to `seed`, or null if it does not open or is not a scalar. */
function openShare(ceremony, seed, sealed, dealer, recipient) {
  let plain;
  try {
    plain = openSealed(seed, sealed, SHARE, shareItems(ceremony, dealer, recipient), 32);
  } catch (err) {
    if (err instanceof CannotOpen || err instanceof InvalidEnvelope) return null;
    throw err;
  }
  try {
    return scalarOrNull(plain);
  } finally {
    plain.fill(0);
  }
}

/**
 * Open the share every dealer sent `recipient`, check each against its
 * dealer's commitments (Feldman, §4.3) and return s_j = Σ_i f_i(j)
 * (dkg.receive).
 *
 * @param {Uint8Array} seed the recipient's X25519 private key
 * @param {object[]} reveals the n reveal messages, in dealer order
 * @returns {bigint} s_j
 * @throws {Complaint} naming the first dealer whose share fails to open or to match.
 */
export function receiveShares(ceremony, recipient, seed, reveals) {
  trusteeNumber(ceremony, recipient, 'recipient');
  if (!Array.isArray(reveals) || reveals.length !== ceremony.trustees) {
    throw new Error(`expected ${ceremony.trustees} reveals, in dealer order`);
  }
  let total = 0n;
  for (let dealer = 1; dealer <= ceremony.trustees; dealer++) {
    const reveal = reveals[dealer - 1];
    const sealed = revealEnvelope(ceremony, reveal, dealer, recipient);
    const share = openShare(ceremony, seed, sealed, dealer, recipient);
    if (share === null) throw new Complaint(dealer, 'the share does not open');
    if (!mulBase(share).equals(feldman(revealCommitments(ceremony, reveal, dealer), recipient))) {
      throw new Complaint(dealer, 'the share does not match the commitments');
    }
    total = (total + share) % L;
  }
  return total;
}

/** K_i = Σ_d Σ_j (i^j mod L)·C_{d,j} over the reveals' commitments (§4.3). */
export function publicShareFromReveals(reveals, index) {
  if (!Array.isArray(reveals) || reveals.length === 0) throw new Error('no reveals');
  if (!isJsonInt(index, 1, MAX_TRUSTEES)) throw new Error('a trustee index is an integer from 1 to 32');
  let total = IDENTITY;
  reveals.forEach((reveal, d) => {
    const list = reveal === null || typeof reveal !== 'object' ? undefined : reveal.commitments;
    if (!Array.isArray(list) || list.length === 0) throw new Error(`dealer ${d + 1}: no commitments`);
    const points = list.map((hex, k) => parsePointHex(hex, `dealer ${d + 1} commitment ${k}`));
    total = total.add(feldman(points, index));
  });
  return total;
}
