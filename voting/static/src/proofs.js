// Prover side of the zero-knowledge proofs (PROTOCOL.md §7), mirroring
// voting/crypto/proofs.py: compact (challenge, response) proofs with strong
// Fiat–Shamir challenges.
//
// The prover always knows the randomness r of the ciphertext it proves, so
// it computes every commitment as a multiple of the fixed bases B and K
// (both with precomputed tables) instead of multiplying the ciphertext's
// points: for a simulated branch with value v, challenge c and response u,
//   a = u·B − c·α             = (u − c·r)·B
//   b = u·K − c·(β − v·B)     = (u − c·r)·K + c·(v − m)·B
// since α = r·B and β = m·B + r·K. These are the same group elements the
// verifier recomputes, hence the same bytes in the challenge hash.

import { toHex, u32, u64 } from './encoding.js';
import { encodePoint, mod, mulBase, randomScalar, scalarHex } from './group.js';
import { hashScalar } from './hashing.js';

/** Exponential ElGamal (§6.1): (α, β) = (r·B, m·B + r·K), for r non-zero. */
export function encrypt(m, r, key) {
  return { alpha: mulBase(r), beta: mulBase(BigInt(m)).add(key.mul(r)) };
}

/** Homomorphic sum of ciphertexts: component-wise point addition. */
export function addCiphertexts(x, y) {
  return { alpha: x.alpha.add(y.alpha), beta: x.beta.add(y.beta) };
}

/** The JSON form of a ciphertext: {"alpha": hex, "beta": hex}. */
export function ciphertextJson(ct) {
  const enc = encodedCiphertext(ct);
  return { alpha: toHex(enc.alpha), beta: toHex(enc.beta) };
}

/** Encodings of a ciphertext's two points, computed once. */
function encodedCiphertext(ct) {
  if (!ct.encoded) ct.encoded = { alpha: encodePoint(ct.alpha), beta: encodePoint(ct.beta) };
  return ct.encoded;
}

/** The JSON form of a compact proof: {"c": [hex...], "u": [hex...]}. */
export function proofJson(proof) {
  return { c: proof.c.map(scalarHex), u: proof.u.map(scalarHex) };
}

/**
 * Strong Fiat–Shamir challenge of a membership proof: it binds the context
 * (fingerprint, key, credential, position), the value list, the ciphertext
 * and every branch's commitments.
 */
function membershipChallenge(context, values, ct, commitments) {
  const enc = encodedCiphertext(ct);
  return hashScalar(
    'membership', ...context, u32(values.length), ...values.map(u64),
    enc.alpha, enc.beta, ...commitments.map(encodePoint),
  );
}

/**
 * Disjunctive Chaum–Pedersen proof (§7.1) that ct = Enc(m, r) under key K
 * with m in `values` (selection proof with [0, 1], range proof with
 * [min..max], packed-contest proof with the packed values).
 *
 * Randomness is drawn in branch order: a nonce w for the true branch, a
 * challenge then a response for every other branch (§12).
 *
 * @param {{alpha, beta}} ct  the ciphertext, which must be Enc(m, r)
 * @param {bigint} r          its randomness
 * @param {number} m          its plaintext
 * @param {number[]} values   the allowed plaintexts, distinct
 * @param {FixedBase} key     the election key K
 * @param {Uint8Array[]} context
 * @param {(n: number) => Uint8Array} rng
 * @returns {{c: bigint[], u: bigint[]}}
 */
export function proveMembership(ct, r, m, values, key, context, rng) {
  const real = values.indexOf(m);
  if (real < 0) throw new Error('the plaintext is not among the allowed values');
  const cs = values.map(() => 0n);
  const us = values.map(() => 0n);
  const commitments = [];
  let w = 0n;
  values.forEach((v, j) => {
    if (j === real) {
      w = randomScalar(rng);
      commitments.push(mulBase(w), key.mul(w));
    } else {
      cs[j] = randomScalar(rng);
      us[j] = randomScalar(rng);
      // Simulated branch: see the module comment for the fixed-base form.
      const s = mod(us[j] - cs[j] * r);
      const t = mod(cs[j] * BigInt(v - m));
      commitments.push(mulBase(s), key.mul(s).add(mulBase(t)));
    }
  });
  const c = membershipChallenge(context, values, ct, commitments);
  cs[real] = mod(c - cs.reduce((sum, x) => sum + x, 0n));
  us[real] = mod(w + cs[real] * r);
  return { c: cs, u: us };
}

/**
 * Schnorr proof of knowledge of `secret` bound to `message` (§7.3):
 * c = Hs(tag, ...message, secret·B, w·B), u = w + c·secret.
 *
 * @returns {{c: bigint, u: bigint}}
 */
export function schnorrSign(secret, tag, message, rng) {
  const w = randomScalar(rng);
  const c = hashScalar(tag, ...message, encodePoint(mulBase(secret)), encodePoint(mulBase(w)));
  return { c, u: mod(w + c * secret) };
}
