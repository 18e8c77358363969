// Ed25519 verification under the protocol's strict rule (PROTOCOL.md §13,
// "Record signature"), mirroring voting/crypto/signature.py.
//
// A signature R ‖ S (64 bytes) on a message M under a public key A verifies
// if and only if A and R are valid group elements (§2.2: canonical, on the
// curve, in the prime-order subgroup, not the identity, as decodePoint
// checks), S < L (§2.3), and S·B = R + k·A with k = SHA-512(R ‖ A ‖ M) read
// little-endian mod L. A and R being torsion-free, the cofactored and the
// cofactorless equations agree. noble's own ed25519.verify is not used: even
// with { zip215: false } it accepts a small-order R and mixed-order A and R.
// tests/client/ed25519_suites.test.mjs pins this against the C2SP/CCTV and
// Wycheproof suites.

import { sha512 } from '@noble/hashes/sha512';

import { bytesToBigIntLE, concatBytes } from './encoding.js';
import { L, decodePoint, mod, mulBase } from './group.js';

/**
 * The first check an Ed25519 signature fails, or null if it verifies:
 * 'length' (not 64 bytes), 'A' or 'R' (not a valid group element), 'S'
 * (not below L) or 'equation'.
 */
export function ed25519Failure(publicKey, message, signature) {
  for (const [name, value] of [['publicKey', publicKey], ['message', message], ['signature', signature]]) {
    if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  }
  if (signature.length !== 64) return 'length';
  const rBytes = signature.subarray(0, 32);
  let A;
  let R;
  try {
    A = decodePoint(publicKey, 'Ed25519 public key');
  } catch {
    return 'A';
  }
  try {
    R = decodePoint(rBytes, 'Ed25519 signature R');
  } catch {
    return 'R';
  }
  const s = bytesToBigIntLE(signature.subarray(32, 64));
  if (s >= L) return 'S';
  const k = mod(bytesToBigIntLE(sha512(concatBytes(rBytes, publicKey, message))));
  // Verification handles public values only: variable-time is fine.
  return mulBase(s).equals(R.add(A.multiplyUnsafe(k))) ? null : 'equation';
}

/** Whether an Ed25519 signature verifies under the rule above. */
export function verifyEd25519(publicKey, message, signature) {
  return ed25519Failure(publicKey, message, signature) === null;
}
