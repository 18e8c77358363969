// The published tally, partial decryptions and their combination into
// counts (PROTOCOL.md §11.1–§11.4), mirroring voting/crypto/tally.py.

import { u32 } from '../encoding.js';
import { VerifyError, expectInt, expectList, expectObject, parsePoint, parseScalar } from './codec.js';
import { discreteLog, lagrangeAtZero, verifyDleq } from './proofs.js';

/** The tally event's ciphertexts with §2.2 validation (no identity: a round with ballots). */
export function parseTally(election, obj) {
  const contests = election.manifest.contests;
  return expectList(obj, 'tally', contests.length).map((row, i) =>
    expectList(row, `tally[${i}]`, contests[i].tallyEntries()).map((ct) => {
      expectObject(ct, ['alpha', 'beta'], `tally[${i}]`);
      return { alpha: parsePoint(ct.alpha, `tally[${i}]`), beta: parsePoint(ct.beta, `tally[${i}]`) };
    }));
}

/** A partial decryption (§11.1): trustee index and rows of [D, c, u]. */
export function parsePartial(election, obj) {
  expectObject(obj, ['trustee', 'shares'], 'partial decryption');
  const index = expectInt(obj.trustee, 'partial.trustee', 1, election.trustees.length);
  const contests = election.manifest.contests;
  const rows = expectList(obj.shares, 'partial.shares', contests.length).map((row, i) =>
    expectList(row, `partial.shares[${i}]`, contests[i].tallyEntries()).map((item) => {
      expectObject(item, ['d', 'c', 'u'], 'partial share');
      return [parsePoint(item.d, 'partial share d'), parseScalar(item.c), parseScalar(item.u)];
    }));
  return [index, rows];
}

export function verifyPartial(election, tally, index, rows) {
  const trustee = election.trustees.find((t) => t.index === index);
  if (!trustee) throw new VerifyError(`unknown trustee ${index}`);
  rows.forEach((row, i) => row.forEach(([d, c, u], j) => {
    verifyDleq(trustee.publicShare, tally[i][j].alpha, d, c, u,
      [election.fingerprint, election.publicKeyBytes, u32(index), u32(i), u32(j)]);
  }));
}

/** Counts from the named partials on the published tally (§11.2–§11.4). */
export function combine(election, tally, partials, cast) {
  if (partials.size < election.threshold) {
    throw new VerifyError('fewer partial decryptions than the threshold');
  }
  const lam = lagrangeAtZero([...partials.keys()].sort((a, b) => a - b));
  return election.manifest.contests.map((contest, i) => {
    const plain = tally[i].map((ct, j) => {
      let shares = null;
      for (const [k, l] of lam) {
        const term = partials.get(k)[i][j][0].multiplyUnsafe(l);
        shares = shares ? shares.add(term) : term;
      }
      const packed = contest.encoding === 'packed';
      const bound = cast * (packed ? Math.max(...election.packed(contest)) : 1);
      return discreteLog(ct.beta.subtract(shares), bound);
    });
    return contest.encoding === 'packed' ? unpack(plain[0], election.radix, contest.options.length)
      : plain;
  });
}

function unpack(value, radix, n) {
  const digits = [];
  for (let k = 0; k < n; k++) {
    digits.push(value % radix);
    value = Math.floor(value / radix);
  }
  if (value) throw new VerifyError('packed total exceeds its digits');
  return digits;
}
