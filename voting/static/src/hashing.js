// Domain-separated hashing (PROTOCOL.md §3.1), mirroring voting/crypto/hashing.py.
//
// Every hash is SHA-512 over length-prefixed items, u32(len(x)) || x, the
// first item being the UTF-8 domain tag "voting/v1/" + tag.

import { sha512 } from '@noble/hashes/sha512';

import { bytesToBigIntLE, u32, utf8 } from './encoding.js';
import { L } from './group.js';

export const PREFIX = 'voting/v1/';

/** SHA-512 over u32(len(x)) || x for x in (PREFIX + tag, ...items). */
export function framedSha512(tag, items) {
  const h = sha512.create();
  for (const item of [utf8(PREFIX + tag), ...items]) {
    if (!(item instanceof Uint8Array)) throw new TypeError('hash items are Uint8Array');
    h.update(u32(item.length));
    h.update(item);
  }
  return h.digest();
}

/** H32: the first 32 bytes of the framed SHA-512. */
export function hash32(tag, ...items) {
  return framedSha512(tag, items).slice(0, 32);
}

/** Hs: the framed SHA-512 read little-endian and reduced mod L. */
export function hashScalar(tag, ...items) {
  return bytesToBigIntLE(framedSha512(tag, items)) % L;
}
