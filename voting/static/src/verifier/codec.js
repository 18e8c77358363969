// Strict field checking and decoding for the verifier (PROTOCOL.md §2.2,
// §2.3, §3.2), mirroring voting/crypto/codec.py.
//
// A malformed or invalid value throws VerifyError; the checks turn it
// into a failure string, as Python's CryptoError.

import { ed25519 } from '@noble/curves/ed25519';

import { hexBytes32 } from '../encoding.js';
import { L, decodePoint } from '../group.js';

export class VerifyError extends Error {}

const HEX64 = /^[0-9a-f]{64}$/;

export function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `value` is an object with exactly `keys` (codec.expect_object). */
export function expectObject(value, keys, what) {
  if (!isObject(value)) throw new VerifyError(`${what}: expected an object`);
  const have = Object.keys(value);
  const missing = keys.filter((k) => !Object.hasOwn(value, k));
  const extra = have.filter((k) => !keys.includes(k));
  if (missing.length || extra.length) {
    throw new VerifyError(`${what}: missing [${missing.sort()}], unexpected [${extra.sort()}]`);
  }
  return value;
}

export function expectList(value, what, length = null) {
  if (!Array.isArray(value)) throw new VerifyError(`${what}: expected a list`);
  if (length !== null && value.length !== length) {
    throw new VerifyError(`${what}: expected ${length} items, got ${value.length}`);
  }
  return value;
}

/** An integer (never a boolean) in [low, high] (§3.2; readable lines carry no floats). */
export function expectInt(value, what, low = 0, high = 2 ** 53) {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high) {
    throw new VerifyError(`${what}: expected an integer in [${low}, ${high}]`);
  }
  return value;
}

/** A non-empty string of at most maxLen code points (§5.1 "characters"). */
export function expectStr(value, what, maxLen = 1000) {
  if (typeof value !== 'string' || value.length === 0 || codePoints(value) > maxLen) {
    throw new VerifyError(`${what}: expected a non-empty string`);
  }
  return value;
}

export function codePoints(s) {
  let n = 0;
  for (const _ of s) n++; // eslint-disable-line no-unused-vars
  return n;
}

export function expectHex64(value, what) {
  if (typeof value !== 'string' || !HEX64.test(value)) {
    throw new VerifyError(`${what}: expected 64 lowercase hex characters`);
  }
  return value;
}

export function hexBytes(value, what = 'value') {
  try {
    return hexBytes32(value, what);
  } catch (err) {
    throw new VerifyError(err.message);
  }
}

/** A valid point given as hex (§2.2): the noble point; `value` is its canonical hex. */
export function parsePoint(value, what = 'point') {
  const bytes = hexBytes(value, what);
  try {
    return decodePoint(bytes, what);
  } catch (err) {
    throw new VerifyError(err.message);
  }
}

/** A canonical scalar given as hex (§2.3): refused when ≥ L. */
export function parseScalar(value, what = 'scalar') {
  const bytes = hexBytes(value, what);
  let k = 0n;
  for (let i = 31; i >= 0; i--) k = (k << 8n) | BigInt(bytes[i]);
  if (k >= L) throw new VerifyError(`${what}: scalar is not reduced mod L`);
  return k;
}

/**
 * A valid point given as hex, decoded exactly as group.js's decodePoint
 * (§2.2: strict RFC 8032 decoding, not the identity, torsion-free,
 * canonical), but with a window-2 multiplication table attached first, so
 * that the subgroup check (L·P = O) and the proofs' later multiplications
 * by this point share it: about three times faster for a ciphertext's α
 * and β, each multiplied once per proof branch.
 */
export function parseTablePoint(value, what = 'point') {
  const bytes = hexBytes(value, what);
  let p;
  try {
    p = ed25519.Point.fromBytes(bytes, false);
  } catch (err) {
    throw new VerifyError(`${what}: not the canonical encoding of a curve point (${err.message})`);
  }
  if (p.is0()) throw new VerifyError(`${what}: the identity is not a valid group element`);
  p.precompute(2);
  if (!p.isTorsionFree()) {
    throw new VerifyError(`${what}: not in the prime-order subgroup (small-order or mixed-order point)`);
  }
  const again = p.toBytes();
  for (let i = 0; i < 32; i++) {
    if (again[i] !== bytes[i]) throw new VerifyError(`${what}: non-canonical encoding`);
  }
  return p;
}
