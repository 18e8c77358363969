// Byte-level encodings and canonical JSON (PROTOCOL.md §2.3, §3.2).
//
// Everything here mirrors voting/crypto/hashing.py and codec.py byte for
// byte: fixed-width big-endian integers for hash framing, lowercase hex for
// JSON, strict UTF-8, and the canonical JSON the fingerprint, ballot hash
// and tracker are computed over.

const HEX64 = /^[0-9a-f]{64}$/;
const MAX_JSON_INT = 2 ** 53;
const MAX_JSON_BIGINT = 2n ** 53n;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;

/** Encode a string as UTF-8, refusing lone surrogates (Python's str.encode() does). */
export function utf8(text) {
  if (typeof text !== 'string') throw new TypeError('expected a string');
  if (LONE_SURROGATE.test(text)) throw new TypeError('string contains a lone surrogate');
  return new TextEncoder().encode(text);
}

/**
 * An integer as read from the server's JSON: a number (never a boolean, a
 * string or a bigint) that is a safe integer, |n| ≤ 2^53 − 1 (beyond that a
 * parsed number may not be the integer that was sent), within [low, high].
 */
export function isJsonInt(value, low = -Number.MAX_SAFE_INTEGER, high = Number.MAX_SAFE_INTEGER) {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= low && value <= high;
}

/** u32: an integer in [0, 2^32) as 4 bytes big-endian (hash framing, §3.1). */
export function u32(n) {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError('u32 out of range');
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

/** u64: an integer in [0, 2^64) as 8 bytes big-endian (§3.1). */
export function u64(n) {
  const v = BigInt(n);
  if (v < 0n || v >= 1n << 64n) throw new RangeError('u64 out of range');
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, false);
  return out;
}

/** Lowercase hex of a byte array. */
export function toHex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Parse exactly 64 lowercase hex characters into 32 bytes (codec.hex_bytes32). */
export function hexBytes32(value, what = 'value') {
  if (typeof value !== 'string' || !HEX64.test(value)) {
    throw new Error(`${what}: expected 64 lowercase hex characters`);
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(value.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Read bytes as an unsigned little-endian integer. */
export function bytesToBigIntLE(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

/** Write a non-negative integer below 2^(8·len) as little-endian bytes. */
export function bigIntToBytesLE(n, len) {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  if (n !== 0n) throw new RangeError('integer too large for its encoding');
  return out;
}

/** Concatenate byte arrays. */
export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Byte-wise equality. */
export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * Canonical JSON (PROTOCOL.md §3.2), identical to Python's
 * json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False):
 * keys sorted by Unicode code point, no whitespace, integers only, each in
 * [−2^53, 2^53]; true and false are booleans, never numbers.
 *
 * @throws {TypeError} on non-integer numbers, undefined (array holes
 *   included), functions, symbols, non-plain objects and strings (values or
 *   keys) with lone surrogates.
 * @throws {RangeError} on integers (numbers or bigints) beyond ±2^53.
 */
export function canonicalJson(value) {
  const out = [];
  writeJson(value, out);
  return out.join('');
}

function writeJson(value, out) {
  if (value === null) {
    out.push('null');
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError('canonical JSON carries integers only');
    // Beyond 2^53 a JS number may not be the integer it was parsed from
    // (the protocol's integers stay within ±2^53, codec.expect_int).
    if (Math.abs(value) > MAX_JSON_INT) throw new RangeError('integer beyond ±2^53');
    out.push(String(value));
  } else if (typeof value === 'bigint') {
    if (value > MAX_JSON_BIGINT || value < -MAX_JSON_BIGINT) throw new RangeError('integer beyond ±2^53');
    out.push(value.toString());
  } else if (typeof value === 'string') {
    out.push(quoteString(value));
  } else if (Array.isArray(value)) {
    out.push('[');
    // An index loop, not forEach: a hole is undefined here and refused,
    // where forEach would skip it and shift the items that follow.
    for (let i = 0; i < value.length; i++) {
      if (i) out.push(',');
      writeJson(value[i], out);
    }
    out.push(']');
  } else if (isPlainObject(value)) {
    out.push('{');
    Object.keys(value).sort(compareCodePoints).forEach((key, i) => {
      if (i) out.push(',');
      out.push(quoteString(key), ':');
      writeJson(value[key], out);
    });
    out.push('}');
  } else {
    throw new TypeError(`canonical JSON cannot represent ${typeof value}`);
  }
}

function isPlainObject(value) {
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Quote a string as Python's json module does with ensure_ascii=False:
 * only '"', '\\' and C0 controls are escaped (\b \t \n \f \r short, the
 * rest as lowercase \u00xx). JSON.stringify escapes exactly these, apart
 * from lone surrogates, which Python cannot encode to UTF-8 and we refuse.
 */
function quoteString(text) {
  if (LONE_SURROGATE.test(text)) throw new TypeError('string contains a lone surrogate');
  return JSON.stringify(text);
}

/**
 * Order strings by Unicode code point, as Python compares str. (UTF-16
 * code-unit order differs when astral characters meet U+E000..U+FFFF.)
 */
export function compareCodePoints(a, b) {
  let i = 0;
  while (i < a.length && i < b.length) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(i);
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return (a.length - i) - (b.length - i);
}
