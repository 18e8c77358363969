// A trustee's passphrase -> X25519 enrolment key (PROTOCOL.md §4.4; the Python
// twin is voting/crypto/envelope.py derive_seed, used by the offline dealing).
//
//   seed = scrypt(utf8(NFC(passphrase)), salt, N, r, p, dkLen = 32)
//   private key = seed (X25519 clamps it), public key = X25519(seed, 9)
//
// The passphrase is normalised to Unicode NFC first: Vietnamese keyboards
// may type "ế" as one code point or as "e" + two combining marks, and the
// same passphrase must give the same key on every device (and in Python,
// for offline recovery). Nothing here touches the DOM.

import { x25519 } from '@noble/curves/ed25519';
import { scryptAsync } from '@noble/hashes/scrypt';

import { utf8 } from '../encoding.js';
import { osRng } from '../group.js';

/** The shortest passphrase a trustee may choose. */
export const MIN_PASSPHRASE_LENGTH = 12;

/** The weakest scrypt work factor the page accepts from the server. */
const MIN_N = 2 ** 15;

/** The bytes a passphrase is stretched from: UTF-8 of its NFC form. */
export function passphraseBytes(passphrase) {
  if (typeof passphrase !== 'string') throw new TypeError('a passphrase is a string');
  return utf8(passphrase.normalize('NFC'));
}

/**
 * Check the KDF parameters the server sent ({algorithm, N, r, p, length}),
 * refusing anything weaker than the ceremony's own (ceremony.KDF).
 *
 * @throws {Error} on unexpected or weak parameters.
 */
export function checkKdf(kdf) {
  const ok = kdf && kdf.algorithm === 'scrypt' && Number.isSafeInteger(kdf.N) && kdf.N >= MIN_N
    && (kdf.N & (kdf.N - 1)) === 0 && Number.isSafeInteger(kdf.r) && kdf.r >= 8
    && Number.isSafeInteger(kdf.p) && kdf.p >= 1 && kdf.length === 32;
  if (!ok) throw new Error('unexpected key-derivation parameters');
  return kdf;
}

/** A fresh 32-byte salt from the CSPRNG. */
export function newSalt(rng = osRng) {
  return rng(32);
}

/**
 * Stretch a passphrase into the 32-byte X25519 seed (a few seconds on a phone).
 *
 * @param {string} passphrase
 * @param {Uint8Array} salt 32 bytes
 * @param {object} kdf the parameters of checkKdf
 * @param {(fraction: number) => void} [onProgress]
 * @returns {Promise<Uint8Array>}
 */
export async function deriveSeed(passphrase, salt, kdf, onProgress) {
  checkKdf(kdf);
  if (!(salt instanceof Uint8Array) || salt.length !== 32) throw new Error('salt must be 32 bytes');
  const opts = { N: kdf.N, r: kdf.r, p: kdf.p, dkLen: kdf.length };
  if (onProgress) opts.onProgress = onProgress;
  return scryptAsync(passphraseBytes(passphrase), salt, opts);
}

/** The X25519 public key of a seed: what the server stores as the enrolment key. */
export function enrolmentPublicKey(seed) {
  return x25519.getPublicKey(seed);
}

/**
 * A rough strength hint for a passphrase: 0 (too short) to 3 (strong).
 * Length counts most; several words or several kinds of character add to it.
 * It is a hint only, never a guarantee.
 */
export function passphraseStrength(passphrase) {
  const text = passphrase.normalize('NFC');
  const length = [...text].length;
  if (length < MIN_PASSPHRASE_LENGTH) return 0;
  const kinds = [/\p{Ll}/u, /\p{Lu}/u, /\p{N}/u, /[^\p{L}\p{N}\s]/u].filter((re) => re.test(text))
    .length;
  const words = text.trim().split(/\s+/u).filter((w) => w.length >= 2).length;
  let score = 1;
  if (length >= 16 && (kinds >= 2 || words >= 3)) score = 2;
  if (length >= 20 && (kinds >= 3 || words >= 4)) score = 3;
  if (new Set(text).size < 6) score = 1;
  return score;
}
