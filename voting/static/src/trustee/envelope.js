// Sealed envelopes to a trustee's enrolment key (PROTOCOL.md §4.4),
// mirroring voting/crypto/envelope.py byte for byte:
//
//   e       = a fresh X25519 key pair (E its public key)
//   context = label | item_1 | … | item_k | E | P
//   key     = HKDF-SHA256(X25519(e, P), salt = none, info = context, 32)
//   sealed  = ChaCha20-Poly1305(key, nonce, plaintext, aad = context)
//
// where P is the recipient's enrolment key, `|` the byte 0x7c, numbers are
// ASCII decimal and the keys raw 32 bytes. One construction serves a share
// a dealer sends in the key generation (SHARE), the dealer's own
// coefficients kept on the server between commit and reveal (COEFFICIENTS)
// and an offline share file (OFFLINE_SHARE); only the context differs, so
// no envelope opens as another kind. With the same rng, seal draws the
// ephemeral private key (32 bytes) and then the nonce (12 bytes), as Python.

import { chacha20poly1305 } from '@noble/ciphers/chacha';
import { x25519 } from '@noble/curves/ed25519';
import { hkdf } from '@noble/hashes/hkdf';
import { sha256 } from '@noble/hashes/sha2';

import { concatBytes, isJsonInt, toHex, utf8 } from '../encoding.js';
import { osRng } from '../group.js';

export const SHARE = 'voting/v1/share';
export const COEFFICIENTS = 'voting/v1/coefficients';
export const OFFLINE_SHARE = 'voting/v1/offline-share';

const SEPARATOR = utf8('|');
const ENVELOPE_KEYS = ['ciphertext', 'ephemeral', 'nonce'];
const TAG_LENGTH = 16;

/** The key does not open this envelope, or the envelope was altered (envelope.CannotOpen). */
export class CannotOpen extends Error {
  constructor(message = 'the key does not open this envelope') {
    super(message);
    this.name = 'CannotOpen';
  }
}

/** The envelope JSON is not {ephemeral, nonce, ciphertext} of the right lengths. */
export class InvalidEnvelope extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvalidEnvelope';
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

/**
 * A context item: bytes as they are, a number as ASCII decimal
 * (envelope.decimal). A number is a non-negative JSON integer, never a
 * boolean: String(true) would put "true" in the context.
 */
export function contextItem(item) {
  if (item instanceof Uint8Array) return item;
  if (isJsonInt(item, 0)) return utf8(String(item));
  throw new TypeError('a context item is bytes or a non-negative integer');
}

/** label | item_1 | … | item_k | E | P: the HKDF info and the AEAD associated data. */
export function envelopeContext(label, items, ephemeral, recipient) {
  if (typeof label !== 'string') throw new TypeError('an envelope label is a string');
  if (!Array.isArray(items)) throw new TypeError('envelope context items are a list');
  return joinWithBars([utf8(label), ...items.map(contextItem), ephemeral, recipient]);
}

/**
 * Parse {ephemeral, nonce, ciphertext} (exactly these keys, lowercase hex)
 * checking the lengths: 32, 12, and the plaintext's length plus the 16-byte
 * tag (envelope.Envelope.from_json).
 *
 * @throws {InvalidEnvelope}
 */
export function parseEnvelope(obj, plaintextLength) {
  if (!isJsonInt(plaintextLength, 0)) throw new TypeError('a plaintext length is an integer');
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new InvalidEnvelope('envelope: expected an object');
  }
  const keys = Object.keys(obj).sort();
  if (keys.length !== ENVELOPE_KEYS.length || keys.some((k, i) => k !== ENVELOPE_KEYS[i])) {
    throw new InvalidEnvelope('envelope: expected exactly ephemeral, nonce and ciphertext');
  }
  const field = (name, length) => {
    const value = obj[name];
    if (typeof value !== 'string' || value.length !== 2 * length || !/^[0-9a-f]*$/.test(value)) {
      throw new InvalidEnvelope(`envelope ${name}: ${length} bytes of lowercase hex`);
    }
    return hexToBytes(value, `envelope ${name}`, length);
  };
  return { ephemeral: field('ephemeral', 32), nonce: field('nonce', 12),
    ciphertext: field('ciphertext', plaintextLength + TAG_LENGTH) };
}

function aead(shared, context, nonce) {
  const key = hkdf(sha256, shared, undefined, context, 32);
  return { cipher: chacha20poly1305(key, nonce, context), key };
}

function draw(rng, n) {
  const bytes = rng(n);
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
    throw new Error('rng must return a Uint8Array of the requested length');
  }
  return bytes;
}

/**
 * Seal `plaintext` to the X25519 key `recipientKey` under the context
 * `label | items | E | P` (envelope.seal).
 *
 * @param {Uint8Array} recipientKey P, 32 bytes
 * @param {Uint8Array} plaintext
 * @param {string} label SHARE, COEFFICIENTS or OFFLINE_SHARE
 * @param {Array<Uint8Array|number>} items the context items (numbers as decimal)
 * @param {(n: number) => Uint8Array} [rng] draws e (32 bytes), then the nonce (12)
 * @returns {{ephemeral: string, nonce: string, ciphertext: string}} the envelope JSON
 * @throws {Error} if `recipientKey` is not a usable X25519 key.
 */
export function seal(recipientKey, plaintext, label, items, rng = osRng) {
  if (!(recipientKey instanceof Uint8Array) || recipientKey.length !== 32) {
    throw new Error('a recipient key is 32 bytes');
  }
  if (!(plaintext instanceof Uint8Array)) throw new TypeError('a plaintext is a Uint8Array');
  const secret = draw(rng, 32);
  const ephemeral = x25519.getPublicKey(secret);
  let shared;
  try {
    shared = x25519.getSharedSecret(secret, recipientKey);
  } catch {
    throw new Error('not a usable X25519 public key');
  } finally {
    secret.fill(0);
  }
  const context = envelopeContext(label, items, ephemeral, recipientKey);
  const nonce = draw(rng, 12);
  const { cipher, key } = aead(shared, context, nonce);
  try {
    return { ephemeral: toHex(ephemeral), nonce: toHex(nonce),
      ciphertext: toHex(cipher.encrypt(plaintext)) };
  } finally {
    key.fill(0);
    shared.fill(0);
  }
}

/**
 * Open parsed envelope parts with an X25519 private key, given the context
 * bytes they were sealed under.
 *
 * @throws {CannotOpen}
 */
export function openWithContext(privateKey, parts, context) {
  let shared;
  try {
    shared = x25519.getSharedSecret(privateKey, parts.ephemeral);
  } catch {
    throw new CannotOpen('the envelope\'s ephemeral key is not usable');
  }
  const { cipher, key } = aead(shared, context, parts.nonce);
  try {
    return cipher.decrypt(parts.ciphertext);
  } catch {
    throw new CannotOpen();
  } finally {
    key.fill(0);
    shared.fill(0);
  }
}

/**
 * The inverse of seal, with the recipient's private key (envelope.open_sealed
 * after Envelope.from_json): P is the private key's own public key.
 *
 * @param {Uint8Array} privateKey the seed derived from the passphrase
 * @param {object} envelopeJson {ephemeral, nonce, ciphertext}
 * @param {string} label
 * @param {Array<Uint8Array|number>} items
 * @param {number} plaintextLength the exact length expected
 * @returns {Uint8Array} the plaintext
 * @throws {InvalidEnvelope} if the JSON is malformed; {CannotOpen} on a
 *   wrong key, a wrong context or an altered envelope.
 */
export function openSealed(privateKey, envelopeJson, label, items, plaintextLength) {
  const parts = parseEnvelope(envelopeJson, plaintextLength);
  const recipient = x25519.getPublicKey(privateKey);
  return openWithContext(privateKey, parts, envelopeContext(label, items, parts.ephemeral, recipient));
}
