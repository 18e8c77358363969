// A deterministic byte stream for test vectors only (PROTOCOL.md §12),
// mirroring voting/crypto/drbg.py.
//
// Block i is SHA-512 over the framed items ("voting/v1/test-rng", seed,
// u64(i)); each request of n <= 64 bytes takes the first n bytes of the
// next block. Never use it for real ballots: the stream is public.

import { u64 } from './encoding.js';
import { framedSha512 } from './hashing.js';

export class TestRng {
  /** @param {Uint8Array} seed */
  constructor(seed) {
    if (!(seed instanceof Uint8Array)) throw new TypeError('seed is a Uint8Array');
    this.seed = seed.slice();
    this.counter = 0;
  }

  /** Return the first n bytes of the next block. */
  next(n) {
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError('draw 1 to 64 bytes at a time');
    const block = framedSha512('test-rng', [this.seed, u64(this.counter)]);
    this.counter += 1;
    return block.slice(0, n);
  }

  /** This stream as an rng function, the form encryptBallot takes. */
  get rng() {
    return (n) => this.next(n);
  }
}
