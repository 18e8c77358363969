// The prime-order subgroup of edwards25519 (PROTOCOL.md §2), mirroring
// voting/crypto/group.py.
//
// Scalars are bigints in [0, L); points are noble Edwards points and travel
// as their 32-byte canonical compressed encodings. The identity may appear
// as an intermediate value but is never accepted from outside:
// decodePoint refuses it, as it refuses non-canonical, off-curve and
// small-order encodings.

import { ed25519 } from '@noble/curves/ed25519';

import { bigIntToBytesLE, bytesToBigIntLE, equalBytes, hexBytes32, toHex } from './encoding.js';

const Point = ed25519.Point;

/** Order of the prime-order subgroup (§2.1). */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;
if (Point.Fn.ORDER !== L) throw new Error('unexpected edwards25519 group order');

/** The identity element and the standard base point B. */
export const IDENTITY = Point.ZERO;
export const BASE = Point.BASE;

/** Window size of the fixed-base tables (noble's wNAF precomputation). */
const WINDOW = 8;

/** Reduce an integer mod L into [0, L). */
export function mod(k) {
  const r = k % L;
  return r < 0n ? r + L : r;
}

/** A source of random bytes: rng(n) -> Uint8Array(n); the browser's CSPRNG by default. */
export function osRng(n) {
  const c = globalThis.crypto;
  if (!c || typeof c.getRandomValues !== 'function') {
    throw new Error('no CSPRNG: crypto.getRandomValues is not available');
  }
  return c.getRandomValues(new Uint8Array(n));
}

/**
 * Draw a uniform non-zero scalar: 64 bytes read little-endian, mod L; zero
 * is redrawn, so a drawn scalar never makes a commitment the identity.
 */
export function randomScalar(rng = osRng) {
  for (;;) {
    const bytes = rng(64);
    if (!(bytes instanceof Uint8Array) || bytes.length !== 64) {
      throw new Error('rng must return a Uint8Array of the requested length');
    }
    const k = bytesToBigIntLE(bytes) % L;
    if (k !== 0n) return k;
  }
}

/** Encode a scalar as 32 bytes little-endian (§2.3). */
export function scalarBytes(k) {
  return bigIntToBytesLE(mod(k), 32);
}

/** Encode a scalar as 64 lowercase hex characters. */
export function scalarHex(k) {
  return toHex(scalarBytes(k));
}

/** Canonical 32-byte encoding of a point (the identity encodes as 01 00..00). */
export function encodePoint(p) {
  return p.toBytes();
}

/** Lowercase hex of a point's encoding. */
export function pointHex(p) {
  return toHex(encodePoint(p));
}

/**
 * Validate a point received from outside (§2.2): the canonical encoding of
 * a point on the curve, in the prime-order subgroup, other than the identity.
 *
 * @throws {Error} naming `what` and the failed condition.
 */
export function decodePoint(bytes, what = 'point') {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new Error(`${what}: a point is 32 bytes`);
  }
  let p;
  try {
    // zip215 = false: RFC 8032 strict decoding, refusing y >= p and x = 0
    // with the sign bit set, i.e. every non-canonical encoding.
    p = Point.fromBytes(bytes, false);
  } catch (err) {
    throw new Error(`${what}: not the canonical encoding of a curve point (${err.message})`);
  }
  if (p.is0()) throw new Error(`${what}: the identity is not a valid group element`);
  if (!p.isTorsionFree()) {
    throw new Error(`${what}: not in the prime-order subgroup (small-order or mixed-order point)`);
  }
  if (!equalBytes(p.toBytes(), bytes)) throw new Error(`${what}: non-canonical encoding`);
  return p;
}

/** Parse and validate a point given as 64 lowercase hex characters. */
export function parsePointHex(value, what = 'point') {
  return decodePoint(hexBytes32(value, what), what);
}

/**
 * k·B with the precomputed base-point table; zero gives the identity
 * (noble's constant-time multiply refuses 0, as libsodium does).
 */
export function mulBase(k) {
  const s = mod(k);
  return s === 0n ? IDENTITY : BASE.multiply(s);
}

/**
 * A point with a precomputed multiplication table, for the election key K:
 * almost every variable-base multiplication the client does is by K.
 */
export class FixedBase {
  constructor(point) {
    this.point = point.precompute(WINDOW, true);
    this.bytes = point.toBytes();
  }

  /** k·P; zero gives the identity. */
  mul(k) {
    const s = mod(k);
    return s === 0n ? IDENTITY : this.point.multiply(s);
  }
}

const fixedBases = new Map();
const FIXED_BASE_CACHE = 4;

/**
 * Decode the election public key and return its FixedBase, reusing the
 * table across ballots of the same election (building it costs a few
 * tens of milliseconds).
 */
export function electionKey(hex) {
  let base = fixedBases.get(hex);
  if (!base) {
    base = new FixedBase(parsePointHex(hex, 'election public key'));
    if (fixedBases.size >= FIXED_BASE_CACHE) fixedBases.delete(fixedBases.keys().next().value);
    fixedBases.set(hex, base);
  }
  return base;
}
