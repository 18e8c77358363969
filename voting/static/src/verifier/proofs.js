// Proof verification (PROTOCOL.md §7), threshold-key checks (§4.2, §4.3),
// Lagrange combination and baby-step giant-step (§11.2, §11.3), mirroring
// voting/crypto/proofs.py, keys.py and tally.py. Public data only, so
// variable-time arithmetic (noble's multiplyUnsafe) is fine; a zero scalar
// gives the identity (§2.3).

import { toHex, u32, u64 } from '../encoding.js';
import { BASE, IDENTITY, L, mod } from '../group.js';
import { hashScalar } from '../hashing.js';
import { VerifyError } from './codec.js';

const enc = (p) => p.toBytes();
const WINDOW = 8;

/** k·B with the base point's precomputed table. */
export const mulBase = (k) => BASE.multiplyUnsafe(mod(k));
/** k·P, variable base. */
export const mul = (k, p) => p.multiplyUnsafe(mod(k));

/** A point with a multiplication table (the election key K, public shares). */
export function fixed(point) {
  return point.precompute(WINDOW, false);
}


/**
 * Membership proof (§7.1): ct = (α, β) under `key` encrypts one of `values`.
 * @param {{alpha, beta, alphaBytes, betaBytes}} ct
 * @param {{c: bigint[], u: bigint[]}} proof
 * @throws {VerifyError} when it does not verify.
 */
export function verifyMembership(ct, proof, values, key, context) {
  if (proof.c.length !== values.length || proof.u.length !== values.length) {
    throw new VerifyError('wrong number of branches');
  }
  const items = [...context, u32(values.length), ...values.map((v) => u64(v)),
    ct.alphaBytes ?? enc(ct.alpha), ct.betaBytes ?? enc(ct.beta)];
  let sum = 0n;
  values.forEach((v, j) => {
    const c = proof.c[j];
    const u = proof.u[j];
    sum += c;
    const a = mulBase(u).subtract(mul(c, ct.alpha));
    // b = u·K − c·(β − v·B) = u·K − c·β + (c·v)·B: β's table serves every branch.
    let b = key.multiplyUnsafe(u).subtract(mul(c, ct.beta));
    if (v !== 0) b = b.add(mulBase(c * BigInt(v)));
    items.push(enc(a), enc(b));
  });
  if (sum % L !== hashScalar('membership', ...items)) {
    throw new VerifyError('membership proof does not verify');
  }
}

/** DLEQ proof (§7.2): log_B(pub) = log_{base2}(image). */
export function verifyDleq(pub, base2, image, c, u, context) {
  const a = mulBase(u).subtract(mul(c, pub));
  const b = mul(u, base2).subtract(mul(c, image));
  if (c !== hashScalar('dleq', ...context, enc(pub), enc(base2), enc(image), enc(a), enc(b))) {
    throw new VerifyError('decryption proof does not verify');
  }
}

/** Schnorr proof (§7.3) for `pub`, bound to `message` items. */
export function schnorrVerify(pub, tag, message, c, u) {
  const commitment = mulBase(u).subtract(mul(c, pub));
  if (c !== hashScalar(tag, ...message, enc(pub), enc(commitment))) {
    throw new VerifyError('signature does not verify');
  }
}

/** Every coefficient proof of every dealer (§4.2). */
export function verifyDealings(dealings) {
  dealings.forEach(({ commitments, proofs }, d) => {
    commitments.forEach((cj, j) => schnorrVerify(cj, 'coefficient', [u32(d), u32(j)], ...proofs[j]));
  });
}

/** K = Σ_d C_{d,0} (§4.3). */
export function jointPublicKey(dealings) {
  return dealings.reduce((sum, d) => sum.add(d.commitments[0]), IDENTITY);
}

/** K_i = Σ_d Σ_j (i^j mod L)·C_{d,j} (§4.3). */
export function publicShare(dealings, index) {
  let sum = IDENTITY;
  for (const { commitments } of dealings) {
    let power = 1n;
    for (const cj of commitments) {
      sum = sum.add(mul(power, cj));
      power = (power * BigInt(index)) % L;
    }
  }
  return sum;
}

function inverse(a) {
  let [r0, r1, s0, s1] = [mod(a), L, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}

/** λ_i = Π_{j≠i} j·(j − i)^−1 mod L over `indices` (§11.2). */
export function lagrangeAtZero(indices) {
  const out = new Map();
  for (const i of indices) {
    let num = 1n;
    let den = 1n;
    for (const j of indices) {
      if (j !== i) {
        num = (num * BigInt(j)) % L;
        den = mod(den * BigInt(j - i));
      }
    }
    out.set(i, (num * inverse(den)) % L);
  }
  return out;
}

let baby = null; // { step, table: Map<hex, j> }
const hex = (p) => toHex(p.toBytes());

/** ⌊√n⌋ exactly, for a safe integer n ≥ 0. */
function isqrt(n) {
  let s = Math.floor(Math.sqrt(n));
  while (s * s > n) s--;
  while ((s + 1) * (s + 1) <= n) s++;
  return s;
}

/**
 * m in [0, bound] with m·B = point, by baby-step giant-step with step
 * ⌊√bound⌋ + 1 (§11.3). @throws {VerifyError} when there is none.
 */
export function discreteLog(point, bound) {
  const step = isqrt(bound) + 1;
  if (!baby || baby.step !== step) {
    const table = new Map();
    let p = IDENTITY;
    for (let j = 0; j < step; j++) {
      const key = hex(p);
      if (!table.has(key)) table.set(key, j);
      p = p.add(BASE);
    }
    baby = { step, table };
  }
  const giant = mulBase(BigInt(step));
  let p = point;
  for (let i = 0; i <= step; i++) {
    const j = baby.table.get(hex(p));
    if (j !== undefined && i * step + j <= bound) return i * step + j;
    p = p.subtract(giant);
  }
  throw new VerifyError('decrypted value out of range');
}
