// A trustee's partial decryption of a closed round's tally (PROTOCOL.md
// §7.2, §11.1), mirroring voting/crypto/tally.py partial_decrypt:
//
// for every tally entry (α, β) of contest i, entry j:
//   D = s·α, and a DLEQ proof that log_B(K_i) = log_α(D):
//   w random, c = Hs("dleq", fingerprint, K, u32(index), u32(i), u32(j), K_i, α, D, w·B, w·α),
//   u = w + c·s (mod L)
// The result is the board's partial body {"trustee": i, "shares": [[{d, c, u}, …], …]}.

import { hexBytes32, isJsonInt, u32 } from '../encoding.js';
import { IDENTITY, mod, mulBase, osRng, parsePointHex, pointHex, randomScalar, scalarHex } from '../group.js';
import { hashScalar } from '../hashing.js';
import { ShareMismatch } from './share.js';

function mul(k, point) {
  const s = mod(k);
  return s === 0n ? IDENTITY : point.multiply(s);
}

/** Each entry's alpha, validated (§2.2): a round with ballots never has the identity there. */
function tallyAlphas(ciphertexts) {
  if (!Array.isArray(ciphertexts)) throw new Error('the tally is a list of contests');
  return ciphertexts.map((row, i) => {
    if (!Array.isArray(row)) throw new Error(`tally contest ${i} is not a list`);
    return row.map((ct, j) => parsePointHex(ct.alpha, `tally contest ${i} entry ${j} alpha`));
  });
}

/**
 * Compute a trustee's partial decryption with its proofs.
 *
 * @param {object} job
 * @param {string} job.fingerprint election fingerprint (hex)
 * @param {string} job.publicKey joint public key K (hex)
 * @param {Array<Array<{alpha: string}>>} job.ciphertexts the tally event's ciphertexts
 * @param {number} job.index the trustee's index i
 * @param {bigint} job.share the trustee's secret share s_i
 * @param {string} job.publicShare K_i (hex); s_i·B must equal it
 * @param {(n: number) => Uint8Array} [job.rng] random bytes (the CSPRNG by default)
 * @param {(done: number, total: number) => (void|Promise<void>)} [job.onProgress]
 * @returns {Promise<{trustee: number, shares: Array<Array<{d: string, c: string, u: string}>>}>}
 * @throws {ShareMismatch} if the share is not the one behind K_i.
 */
export async function partialDecrypt(job) {
  const { index, share, rng = osRng, onProgress } = job;
  if (!isJsonInt(index, 1, 32)) throw new Error('bad trustee index'); // never a boolean
  const fingerprint = hexBytes32(job.fingerprint, 'fingerprint');
  const key = parsePointHex(job.publicKey, 'election public key').toBytes();
  const publicShare = parsePointHex(job.publicShare, 'public share');
  const pub = mulBase(share);
  if (!pub.equals(publicShare)) throw new ShareMismatch();
  const pubBytes = pub.toBytes();
  const alphas = tallyAlphas(job.ciphertexts);
  const total = alphas.reduce((n, row) => n + row.length, 0);
  let done = 0;
  const shares = [];
  for (const [i, row] of alphas.entries()) {
    const out = [];
    for (const [j, alpha] of row.entries()) {
      const d = mul(share, alpha);
      const w = randomScalar(rng);
      const c = hashScalar('dleq', fingerprint, key, u32(index), u32(i), u32(j),
        pubBytes, alpha.toBytes(), d.toBytes(), mulBase(w).toBytes(), mul(w, alpha).toBytes());
      out.push({ d: pointHex(d), c: scalarHex(c), u: scalarHex(mod(w + c * share)) });
      done += 1;
      if (onProgress) await onProgress(done, total);
    }
    shares.push(out);
  }
  return { trustee: index, shares };
}
