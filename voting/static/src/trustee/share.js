// Opening a trustee's key share and checking it against the dealers'
// commitments (PROTOCOL.md §4.3), mirroring voting/services/ceremony.py:
//
//   shared  = X25519(trustee private key, envelope.ephemeral)
//   context = "voting/v1/share" | conference id | index | ephemeral | enrolment key
//             (decimal ASCII for the numbers, raw 32 bytes for the keys,
//              joined with "|" exactly as ceremony._share_context does)
//   key     = HKDF-SHA256(shared, salt = 32 zero bytes (RFC 5869 default), info = context)
//   share   = ChaCha20-Poly1305(key).open(envelope.nonce, envelope.ciphertext, aad = context)
//
// The plaintext is the share s_i as 32 bytes little-endian; it is accepted
// only if s_i·B equals K_i recomputed from the commitments.

import { chacha20poly1305 } from '@noble/ciphers/chacha';
import { x25519 } from '@noble/curves/ed25519';
import { hkdf } from '@noble/hashes/hkdf';
import { sha256 } from '@noble/hashes/sha2';

import { bytesToBigIntLE, concatBytes, equalBytes, hexBytes32, isJsonInt, utf8 } from '../encoding.js';
import { IDENTITY, L, mulBase, parsePointHex } from '../group.js';
import { deriveSeed } from './kdf.js';

const SHARE_INFO = 'voting/v1/share';
const SEPARATOR = utf8('|');
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

/** Parse lowercase hex of any length (optionally an exact byte length). */
export function hexToBytes(value, what = 'value', length = undefined) {
  if (typeof value !== 'string' || value.length % 2 || !/^[0-9a-f]*$/.test(value)) {
    throw new Error(`${what}: expected lowercase hex`);
  }
  const out = new Uint8Array(value.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(value.slice(2 * i, 2 * i + 2), 16);
  if (length !== undefined && out.length !== length) throw new Error(`${what}: expected ${length} bytes`);
  return out;
}

/** Items joined with "|" (b"|".join in Python). */
export function joinWithBars(items) {
  const parts = [];
  items.forEach((item, i) => {
    if (i) parts.push(SEPARATOR);
    parts.push(item);
  });
  return concatBytes(...parts);
}

/** ceremony._share_context: the HKDF info and AEAD associated data of a dealt share. */
export function shareContext(conferenceId, index, ephemeral, enrolmentKey) {
  if (!isJsonInt(conferenceId, 1)) throw new Error('a conference id is a positive integer');
  return joinWithBars([utf8(SHARE_INFO), utf8(String(conferenceId)),
    utf8(String(trusteeIndex(index))), ephemeral, enrolmentKey]);
}

/**
 * Open an envelope {ephemeral, nonce, ciphertext} (hex) with an X25519
 * private key, given the context bytes it was sealed with.
 *
 * @returns {Uint8Array} the plaintext
 * @throws {WrongPassphrase} if the key or the envelope is wrong.
 */
export function openEnvelope(envelope, privateKey, context) {
  const ephemeral = hexBytes32(envelope.ephemeral, 'envelope ephemeral key');
  const nonce = hexToBytes(envelope.nonce, 'envelope nonce', 12);
  const ciphertext = hexToBytes(envelope.ciphertext, 'envelope ciphertext');
  let shared;
  try {
    shared = x25519.getSharedSecret(privateKey, ephemeral);
  } catch {
    throw new WrongPassphrase('the envelope\'s ephemeral key is not usable');
  }
  const key = hkdf(sha256, shared, undefined, context, 32);
  try {
    return chacha20poly1305(key, nonce, context).decrypt(ciphertext);
  } catch {
    throw new WrongPassphrase();
  } finally {
    key.fill(0);
    shared.fill(0);
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
 * Decrypt the share dealt to a trustee (what /trustee/share.json returns).
 *
 * @param {object} dealt {encrypted_share: {ephemeral, nonce, ciphertext},
 *   conference_id, index, enrolment_key}
 * @param {Uint8Array} privateKey the seed derived from the passphrase
 * @returns {bigint} s_i
 * @throws {WrongPassphrase} when the passphrase gives another key.
 */
export function decryptShare(dealt, privateKey) {
  const enrolmentKey = hexBytes32(dealt.enrolment_key, 'enrolment key');
  if (!equalBytes(x25519.getPublicKey(privateKey), enrolmentKey)) throw new WrongPassphrase();
  const envelope = dealt.encrypted_share;
  const ephemeral = hexBytes32(envelope.ephemeral, 'envelope ephemeral key');
  const context = shareContext(dealt.conference_id, dealt.index, ephemeral, enrolmentKey);
  const plain = openEnvelope(envelope, privateKey, context);
  try {
    return scalarFromBytes(plain);
  } finally {
    plain.fill(0);
  }
}

/** K_i = Σ_d Σ_j (i^j mod L)·C_{d,j} over the dealers' commitments (§4.3). */
export function publicShareOf(dealers, index) {
  trusteeIndex(index);
  if (!Array.isArray(dealers) || dealers.length === 0) throw new Error('no dealers');
  let total = IDENTITY;
  for (const [d, dealer] of dealers.entries()) {
    let power = 1n;
    for (const [j, hex] of dealer.commitments.entries()) {
      const c = parsePointHex(hex, `dealer ${d} commitment ${j}`);
      if (power !== 0n) total = total.add(c.multiply(power));
      power = (power * BigInt(index)) % L;
    }
  }
  return total;
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
 * share: derive the key (scrypt), open the envelope, check s_i·B = K_i.
 *
 * @param {string} passphrase
 * @param {object} dealt the share.json object (with kdf, kdf_salt, dealers, public_share)
 * @param {(fraction: number) => void} [onProgress] scrypt's progress
 * @returns {Promise<bigint>} s_i
 * @throws {WrongPassphrase|ShareMismatch}
 */
export async function openDealtShare(passphrase, dealt, onProgress) {
  const salt = hexBytes32(dealt.kdf_salt, 'KDF salt');
  const seed = await deriveSeed(passphrase, salt, dealt.kdf, onProgress);
  try {
    const share = decryptShare(dealt, seed);
    checkShare(share, dealt.index, dealt.dealers, dealt.public_share);
    return share;
  } finally {
    seed.fill(0);
  }
}
