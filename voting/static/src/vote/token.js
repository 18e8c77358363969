// Ballot-card tokens in their printed form: 16 bytes as 26 Crockford
// base-32 digits (alphabet 0123456789ABCDEFGHJKMNPQRSTVWXYZ), the 128 bits
// most significant first, followed by 2 zero padding bits.
//
// People type what they read off the card, so the decoder accepts lower
// case, hyphens and spaces between groups, and Crockford's aliases
// (O -> 0, I and L -> 1). Anything else, including a non-zero padding bit,
// is refused: a mistyped code must never silently become another card.

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ALIASES = { O: '0', I: '1', L: '1' };
export const TOKEN_BYTES = 16;
export const TOKEN_DIGITS = 26;
const PADDING_BITS = 2n;

/** Thrown for text that is not a card token; `reason` says why. */
export class TokenError extends Error {
  constructor(reason) {
    super(`not a card token: ${reason}`);
    this.reason = reason;
  }
}

/**
 * The token's digits without separators, upper case, aliases resolved.
 * Throws TokenError for a character outside the alphabet.
 */
export function normalizeToken(text) {
  if (typeof text !== 'string') throw new TokenError('not text');
  // Only ASCII may be upper-cased: 'ı'.toUpperCase() is 'I' and
  // 'ſ'.toUpperCase() is 'S', which would turn a typo into another card.
  if (!/^[0-9A-Za-z -]*$/.test(text)) throw new TokenError('character');
  let out = '';
  for (const ch of text.toUpperCase()) {
    if (ch === '-' || ch === ' ') continue;
    const digit = ALIASES[ch] ?? ch;
    if (!ALPHABET.includes(digit)) throw new TokenError('character');
    out += digit;
  }
  return out;
}

/**
 * Decode a typed or scanned token into its 16 bytes.
 *
 * @param {string} text
 * @returns {Uint8Array}
 * @throws {TokenError} wrong length, unknown character or non-zero padding.
 */
export function decodeToken(text) {
  const digits = normalizeToken(text);
  if (digits.length !== TOKEN_DIGITS) throw new TokenError('length');
  let value = 0n;
  for (const ch of digits) value = (value << 5n) | BigInt(ALPHABET.indexOf(ch));
  if ((value & ((1n << PADDING_BITS) - 1n)) !== 0n) throw new TokenError('padding');
  value >>= PADDING_BITS;
  const out = new Uint8Array(TOKEN_BYTES);
  for (let i = TOKEN_BYTES - 1; i >= 0; i -= 1) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

/** The canonical 26-digit text of a 16-byte token (the inverse of decodeToken). */
export function encodeToken(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== TOKEN_BYTES) {
    throw new TokenError('a token is 16 bytes');
  }
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  value <<= PADDING_BITS;
  let out = '';
  for (let i = 0; i < TOKEN_DIGITS; i += 1) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}
