// The browser ballot client (PROTOCOL.md §6, §8): credential derivation,
// encryption, proofs, signature and tracker, byte-identical to the Python
// reference voting/crypto/ballot.py. This is the bundle's entry point.
//
// A ballot holds, per contest, its ciphertexts and proofs, and is signed
// with the round credential. Every proof's context binds the fingerprint,
// the joint key, the credential and the proof's position.

import { canonicalJson, toHex, u32, utf8 } from './encoding.js';
import { electionFingerprint, packedValue, packedValues, parseElection, rangeValues }
  from './election.js';
import { L, encodePoint, mod, mulBase, osRng, randomScalar, scalarHex } from './group.js';
import { hash32, hashScalar } from './hashing.js';
import { addCiphertexts, ciphertextJson, encrypt, proofJson, proveMembership, schnorrSign }
  from './proofs.js';

export { canonicalJson } from './encoding.js';
export { hash32, hashScalar } from './hashing.js';
export { TestRng } from './drbg.js';
export { electionFingerprint, parseElection } from './election.js';
export { L, decodePoint, parsePointHex, scalarHex } from './group.js';

const TOKEN_BYTES = 16;

/**
 * The card's secret for one round, x = Hs("credential", token, round id),
 * and its public credential x·B as hex (§8.1).
 *
 * @param {Uint8Array} token  the 16-byte card token
 * @param {string} roundId
 * @returns {{secret: bigint, credential: string}}
 */
export function deriveCredential(token, roundId) {
  if (!(token instanceof Uint8Array) || token.length !== TOKEN_BYTES) {
    throw new Error('a card token is 16 bytes');
  }
  const secret = hashScalar('credential', token, utf8(roundId));
  if (secret === 0n) throw new Error('unusable token'); // probability 2^-252
  return { secret, credential: toHex(encodePoint(mulBase(secret))) };
}

/** H32("ballot", canonical JSON of the ballot without its signature). */
function ballotHash(ballot) {
  const unsigned = Object.fromEntries(Object.entries(ballot).filter(([k]) => k !== 'signature'));
  return hash32('ballot', utf8(canonicalJson(unsigned)));
}

/** The tracker H32("tracker", canonical JSON of the whole ballot) as hex (§8.4). */
export function ballotTracker(ballot) {
  return toHex(hash32('tracker', utf8(canonicalJson(ballot))));
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The short tracker people compare by eye (§8.4): the first 40 bits of the
 * tracker (hex) in Crockford base 32, as XXXX-XXXX.
 */
export function shortTracker(trackerHex) {
  let bits = BigInt('0x' + trackerHex.slice(0, 10));
  let out = '';
  for (let i = 0; i < 8; i += 1) {
    out = CROCKFORD[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return `${out.slice(0, 4)}-${out.slice(4)}`;
}

/** Proof context: (fingerprint, K, credential, u32(contest), u32(slot)). */
function proofContext(election, credential, contest, slot) {
  return [election.fingerprint, election.key.bytes, credential, u32(contest), u32(slot)];
}

/**
 * Check a contest's choice as the reference does: distinct option indices,
 * each in range, between min and max of them. Returns them ascending.
 */
function checkChoice(contest, choice) {
  if (!Array.isArray(choice) || !choice.every(Number.isSafeInteger)) {
    throw new Error(`choice not allowed in contest ${contest.id}`);
  }
  const chosen = [...new Set(choice)].sort((a, b) => a - b);
  if (chosen.length !== choice.length || chosen.length < contest.min
      || chosen.length > contest.max || chosen.some((j) => j < 0 || j >= contest.options.length)) {
    throw new Error(`choice not allowed in contest ${contest.id}`);
  }
  return chosen;
}

/**
 * Encrypt, prove and sign a ballot (§8.2). `choices[i]` lists the selected
 * option indices of contest i. Returns the ballot's JSON object, equal to
 * Python's encrypt_ballot for the same election, choices, secret and rng.
 *
 * @param {object} electionObj  the election object of the setup event
 * @param {number[][]} choices
 * @param {bigint} secret       the round credential's secret (deriveCredential)
 * @param {((n: number) => Uint8Array) | {next: (n: number) => Uint8Array}} [rng]
 * @throws {Error} on a malformed election or a choice its contest forbids.
 */
export function encryptBallot(electionObj, choices, secret, rng = osRng) {
  return encryptRevealable(electionObj, choices, secret, rng).ballot;
}

/**
 * encryptBallot, also returning what made it: the parsed election, the
 * choices ascending, and the randomness r of every ciphertext (§6.1), one
 * row per contest. Only audit.js calls it, to reveal an encryption the voter
 * challenges (§8.6); the randomness of a ballot that is cast must be
 * dropped with this result and never kept anywhere.
 *
 * @returns {{ballot: object, election: object, chosen: number[][], randomness: bigint[][]}}
 * @throws {Error} as encryptBallot.
 */
export function encryptRevealable(electionObj, choices, secret, rng = osRng) {
  const draw = typeof rng === 'function' ? rng : (n) => rng.next(n);
  const election = parseElection(electionObj);
  if (!Array.isArray(choices) || choices.length !== election.contests.length) {
    throw new Error('one choice list per contest');
  }
  if (typeof secret !== 'bigint' || secret <= 0n || secret >= L) {
    throw new Error('the credential secret is a scalar in [1, L)');
  }
  // Every choice is checked before any randomness is drawn.
  const chosen = election.contests.map((c, i) => checkChoice(c, choices[i]));
  const credential = encodePoint(mulBase(secret));
  const randomness = [];
  const contests = election.contests.map((contest, i) => {
    const { json, rs } = encryptContest(election, credential, i, contest, chosen[i], draw);
    randomness.push(rs);
    return json;
  });
  const ballot = {
    version: 1,
    round: election.roundId,
    fingerprint: toHex(election.fingerprint),
    credential: toHex(credential),
    contests,
  };
  const sig = schnorrSign(secret, 'signature', [election.fingerprint, ballotHash(ballot)], draw);
  ballot.signature = { c: scalarHex(sig.c), u: scalarHex(sig.u) };
  return { ballot, election, chosen, randomness };
}

/** One contest's ciphertexts and proofs (§6.2, §6.3), and each ciphertext's r. */
function encryptContest(election, credential, i, contest, chosen, rng) {
  const key = election.key;
  if (contest.encoding === 'packed') {
    // Packed contest: one ciphertext of Σ radix^j, proven to be one of the
    // allowed packed values.
    const m = packedValue(chosen, election.radix);
    const r = randomScalar(rng);
    const ct = encrypt(m, r, key);
    const proof = proveMembership(ct, r, m, packedValues(contest, election.radix), key,
      proofContext(election, credential, i, 0), rng);
    const json = { ciphertexts: [ciphertextJson(ct)], proofs: [proofJson(proof)], range_proof: null };
    return { json, rs: [r] };
  }
  // Options contest: a 0/1 ciphertext per option with its selection proof,
  // then a range proof that their sum lies in [min, max].
  const cts = [];
  const proofs = [];
  const rs = [];
  contest.options.forEach((_, j) => {
    const m = chosen.includes(j) ? 1 : 0;
    const r = randomScalar(rng);
    const ct = encrypt(m, r, key);
    proofs.push(proofJson(proveMembership(ct, r, m, [0, 1], key,
      proofContext(election, credential, i, j), rng)));
    cts.push(ct);
    rs.push(r);
  });
  const total = cts.slice(1).reduce(addCiphertexts, cts[0]);
  const totalR = mod(rs.reduce((sum, r) => sum + r, 0n));
  const rangeProof = proveMembership(total, totalR, chosen.length, rangeValues(contest), key,
    proofContext(election, credential, i, cts.length), rng);
  const json = { ciphertexts: cts.map(ciphertextJson), proofs, range_proof: proofJson(rangeProof) };
  return { json, rs };
}
