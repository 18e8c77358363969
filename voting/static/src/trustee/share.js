// Opening a trustee's key share at tally time and checking it against the
// dealers' commitments (PROTOCOL.md §4.3, §4.5).
//
// The key was made by every trustee dealing (dkg.js): trustee i's share is
// s_i = Σ_d f_d(i), the sum of the n share envelopes the dealers sealed to
// its enrolment key P_i (§4.4, label "voting/v1/share", context items
// conference id, attempt, dealer d, recipient i). The server keeps them
// sealed; GET /trustee/share.json returns them with the ceremony's frame.
// From the passphrase the page re-derives the seed (scrypt), opens and
// checks every share (Feldman), and accepts the sum only if s_i·B equals
// both K_i recomputed from the reveals' commitments and the published
// public share.

import { bytesToBigIntLE, equalBytes, hexBytes32, isJsonInt } from '../encoding.js';
import { L, mulBase, parsePointHex } from '../group.js';
import { Complaint, ceremonyFromJson, publicShareFromReveals, receiveShares } from './dkg.js';
import { CannotOpen, hexToBytes, joinWithBars, openWithContext, parseEnvelope } from './envelope.js';
import { deriveSeed, enrolmentPublicKey } from './kdf.js';

export { hexToBytes, joinWithBars };

const MAX_TRUSTEES = 32;

/**
 * A trustee index from the server's JSON: an integer in [1, 32], never a
 * boolean (String(true) would put "true" in the context, BigInt(true) is 1n).
 */
export function trusteeIndex(value) {
  if (!isJsonInt(value, 1, MAX_TRUSTEES)) throw new Error('a trustee index is an integer from 1 to 32');
  return value;
}

/** The passphrase does not open this share (or the envelope was altered). */
export class WrongPassphrase extends Error {
  constructor(message = 'the passphrase does not open this key share') {
    super(message);
    this.name = 'WrongPassphrase';
  }
}

/** The share opened but does not match the published commitments. */
export class ShareMismatch extends Error {
  constructor(message = 'the key share does not match the published commitments') {
    super(message);
    this.name = 'ShareMismatch';
  }
}

/**
 * Open an envelope {ephemeral, nonce, ciphertext} (hex, strictly parsed)
 * with an X25519 private key, given the context bytes it was sealed with
 * (an offline share file, voting/cli/keys.py).
 *
 * @returns {Uint8Array} the plaintext
 * @throws {WrongPassphrase} if the key or the envelope is wrong.
 */
export function openEnvelope(envelope, privateKey, context, plaintextLength = 32) {
  try {
    return openWithContext(privateKey, parseEnvelope(envelope, plaintextLength), context);
  } catch (err) {
    if (err instanceof CannotOpen) throw new WrongPassphrase();
    throw err;
  }
}

/** Read a 32-byte little-endian scalar, refusing values ≥ L. */
export function scalarFromBytes(bytes) {
  if (bytes.length !== 32) throw new ShareMismatch('a key share is 32 bytes');
  const s = bytesToBigIntLE(bytes);
  if (s >= L) throw new ShareMismatch('the key share is not a reduced scalar');
  return s;
}

/**
 * K_i = Σ_d Σ_j (i^j mod L)·C_{d,j} over the dealers' commitments (§4.3):
 * the election object's `dealers` or the ceremony's reveals.
 */
export function publicShareOf(dealers, index) {
  return publicShareFromReveals(dealers, trusteeIndex(index));
}

/**
 * Check s_i·B = K_i, with K_i recomputed from the commitments and equal to
 * the published public share.
 *
 * @throws {ShareMismatch}
 */
export function checkShare(share, index, dealers, publicShareHex) {
  const expected = publicShareOf(dealers, index);
  if (!mulBase(share).equals(expected)) throw new ShareMismatch();
  if (!expected.equals(parsePointHex(publicShareHex, 'public share'))) {
    throw new ShareMismatch('the published public share does not match the commitments');
  }
}

/**
 * From the passphrase and what /trustee/share.json returns to a checked
 * share: derive the seed (scrypt), check it is the enrolled key, open and
 * check the n dealers' shares (dkg.receiveShares) and check s_i·B = K_i.
 *
 * @param {string} passphrase
 * @param {object} dealt {kdf, kdf_salt, index, enrolment_key, public_share,
 *   ceremony: {conference_id, attempt, threshold, enrolment_keys},
 *   reveals: [{commitments, proofs, shares}, … n in dealer order]}
 * @param {(fraction: number) => void} [onProgress] scrypt's progress
 * @returns {Promise<bigint>} s_i
 * @throws {WrongPassphrase|ShareMismatch}
 */
export async function openDealtShare(passphrase, dealt, onProgress) {
  // Everything that needs no passphrase is read before the seconds of scrypt.
  const ceremony = ceremonyFromJson(dealt.ceremony);
  const index = trusteeIndex(dealt.index);
  if (index > ceremony.trustees) throw new Error('the trustee index is not in the ceremony');
  const enrolmentKey = hexBytes32(dealt.enrolment_key, 'enrolment key');
  if (!equalBytes(enrolmentKey, ceremony.enrolmentKeys[index - 1])) {
    throw new ShareMismatch('the enrolment key is not this trustee\'s in the ceremony');
  }
  parsePointHex(dealt.public_share, 'public share');
  const salt = hexBytes32(dealt.kdf_salt, 'KDF salt');
  const seed = await deriveSeed(passphrase, salt, dealt.kdf, onProgress);
  try {
    if (!equalBytes(enrolmentPublicKey(seed), enrolmentKey)) throw new WrongPassphrase();
    let share;
    try {
      share = receiveShares(ceremony, index, seed, dealt.reveals);
    } catch (err) {
      if (err instanceof Complaint) throw new ShareMismatch(`the key share does not check: ${err.message}`);
      throw err;
    }
    checkShare(share, index, dealt.reveals, dealt.public_share);
    return share;
  } finally {
    seed.fill(0);
  }
}
