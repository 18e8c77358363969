// Strict JSON reading for the verifier (PROTOCOL.md §3.2 exact types, §14
// "readable"), mirroring voting/crypto/events.read_event's json.loads +
// canonical_json.
//
// JSON.parse cannot tell `1.0` from `1`, nor 2^53 + 1 from 2^53, so after
// parsing the raw text is scanned for number tokens: each must be an
// integer (no fraction, no exponent) within [−2^53, 2^53]. `-0` is
// readable (it reads as 0) but not canonical. Lone surrogates make a line
// unreadable (canonicalJson refuses them, as Python cannot encode them);
// a repeated key is readable but not canonical (re-serialising writes the
// key once, so the byte comparison fails).

import { canonicalJson, equalBytes } from '../encoding.js';

// ignoreBOM keeps a byte-order mark in the text, where JSON.parse refuses it,
// as Python's json.loads does (§3.2: a line is UTF-8 JSON, nothing before it).
const DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const ENCODER = new TextEncoder();
const LIMIT = 2n ** 53n;
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/** Why a JSON text is not readable: thrown by readJson. */
export class UnreadableError extends Error {}

/**
 * Throw unless every number token of the (already valid) JSON `text` is an
 * integer in [−2^53, 2^53]. Strings are skipped, escapes included.
 */
export function checkNumbers(text) {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) { // a string: skip to its closing quote
      for (i++; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x5c) i++;
        else if (c === 0x22) break;
      }
    } else if (ch === 0x2d || (ch >= 0x30 && ch <= 0x39)) {
      let j = i + 1;
      while (j < n && /[0-9.eE+-]/.test(text[j])) j++;
      const token = text.slice(i, j);
      if (!INTEGER.test(token)) throw new UnreadableError(`not an integer: ${token}`);
      const v = BigInt(token);
      if (v > LIMIT || v < -LIMIT) throw new UnreadableError(`integer beyond ±2^53: ${token}`);
      i = j - 1;
    }
  }
}

/**
 * Decode strict UTF-8 JSON with §3.2's exact types; returns the value.
 * @throws {UnreadableError} when the bytes are not readable.
 */
export function readJson(bytes) {
  let text;
  let value;
  try {
    text = DECODER.decode(bytes);
    value = JSON.parse(text);
  } catch (err) {
    throw new UnreadableError(err.message);
  }
  checkNumbers(text);
  try {
    canonicalJson(value); // lone surrogates
  } catch (err) {
    throw new UnreadableError(err.message);
  }
  return value;
}

/** The canonical JSON bytes of a readable value (§3.2). */
export function canonicalBytes(value) {
  return ENCODER.encode(canonicalJson(value));
}

/** Whether `bytes` is exactly the canonical form of `value`. */
export function isCanonical(value, bytes) {
  return equalBytes(canonicalBytes(value), bytes);
}
