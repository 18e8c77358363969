// The bundled ballot client against the Python reference's vectors
// (tests/client/vectors.json, written by make_vectors.py).
//
//   npm run build && node --test tests/client/vectors.test.mjs
//
// Every value is compared byte for byte: canonical JSON strings, hashes,
// credentials, the test byte stream, the election fingerprint, whole
// ballots and their trackers. Negative tests: encodings a point decoder
// must refuse, and choices a contest forbids.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const client = await import(new URL('../../voting/static/dist/ballot.js', import.meta.url));
const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8'));

const {
  L, TestRng, ballotTracker, canonicalJson, shortTracker, decodePoint, deriveCredential, electionFingerprint,
  encryptBallot, hash32, hashScalar, parseElection, parsePointHex, scalarHex,
} = client;

const election = vectors.election.object;

function fromHex(hex) {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

function toHex(bytes) {
  return Buffer.from(bytes).toString('hex');
}

function secretOf(hexScalar) {
  return BigInt(`0x${toHex(fromHex(hexScalar).reverse())}`);
}

test('canonical JSON matches Python json.dumps(sort_keys, compact, ensure_ascii=False)', () => {
  for (const { value, json } of vectors.canonical_json) {
    assert.equal(canonicalJson(value), json);
  }
});

test('canonical JSON refuses what Python refuses or could not produce', () => {
  const bad = [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 2, undefined, () => 0,
    Symbol('s'), new Date(0), new Map(), { a: 0.5 }, [1, [2.25]], 'lone \ud800 surrogate',
    { '\udc00': 1 }];
  for (const value of bad) {
    assert.throws(() => canonicalJson(value), `should refuse ${String(value)}`);
  }
});

test('hash32 and hashScalar match the framed SHA-512 of hashing.py', () => {
  for (const h of vectors.hash) {
    const items = h.items.map(fromHex);
    assert.equal(toHex(hash32(h.tag, ...items)), h.hash32);
    assert.equal(scalarHex(hashScalar(h.tag, ...items)), h.hash_scalar);
  }
});

test('credential derivation matches derive_credential / public_credential', () => {
  for (const c of vectors.credential) {
    const { secret, credential } = deriveCredential(fromHex(c.token), c.round);
    assert.equal(scalarHex(secret), c.secret);
    assert.equal(credential, c.credential);
  }
  assert.throws(() => deriveCredential(new Uint8Array(15), 'r'), /16 bytes/);
  assert.throws(() => deriveCredential(new Uint8Array(16), 'lone \udfff'), /surrogate/);
});

test('TestRng reproduces drbg.TestRng', () => {
  for (const s of vectors.test_rng) {
    const rng = new TestRng(fromHex(s.seed));
    assert.deepEqual(s.draws.map((n) => toHex(rng.next(n))), s.output);
  }
  assert.throws(() => new TestRng(new Uint8Array(0)).next(65), RangeError);
});

test('election fingerprint and packing radix', () => {
  assert.equal(toHex(electionFingerprint(election)), vectors.election.fingerprint);
  const parsed = parseElection(election);
  assert.equal(parsed.radix, vectors.election.radix);
  assert.equal(toHex(parsed.fingerprint), vectors.election.fingerprint);
});

test('ballots are byte-identical to encrypt_ballot with the same TestRng', () => {
  for (const v of vectors.ballots) {
    const { secret, credential } = deriveCredential(fromHex(v.token), election.manifest.round);
    assert.equal(scalarHex(secret), v.secret);
    assert.ok(election.credentials.includes(credential));
    const ballot = encryptBallot(election, v.choices, secret, new TestRng(fromHex(v.seed)));
    assert.equal(canonicalJson(ballot), canonicalJson(v.ballot));
    assert.deepEqual(ballot, v.ballot);
    assert.equal(ballotTracker(ballot), v.tracker);
    assert.equal(ballotTracker(v.ballot), v.tracker);
    assert.equal(shortTracker(v.tracker), v.short_tracker);
    // An rng given as a plain function draws the same stream.
    const stream = new TestRng(fromHex(v.seed));
    const again = encryptBallot(election, v.choices, secretOf(v.secret), (n) => stream.next(n));
    assert.equal(canonicalJson(again), canonicalJson(v.ballot));
  }
});

test('points from outside: valid ones decode and re-encode identically', () => {
  for (const hex of [election.public_key, ...election.credentials,
    ...election.trustees.map((t) => t.public_share)]) {
    assert.equal(toHex(parsePointHex(hex).toBytes()), hex);
  }
});

test('points from outside: non-canonical, identity, small-order, mixed-order, off-curve throw', () => {
  const reasons = vectors.invalid_points.map((p) => p.reason).join(' | ');
  for (const word of ['identity', 'non-canonical', 'small order', 'mixed order', 'off the curve']) {
    assert.ok(reasons.includes(word), `vectors cover: ${word}`);
  }
  for (const { reason, point } of vectors.invalid_points) {
    assert.throws(() => decodePoint(fromHex(point)), Error, reason);
    assert.throws(() => parsePointHex(point), Error, reason);
    const bad = { ...election, public_key: point };
    assert.throws(() => parseElection(bad), /election public key/, reason);
  }
  assert.throws(() => parsePointHex(election.public_key.toUpperCase()), /lowercase hex/);
  assert.throws(() => decodePoint(new Uint8Array(31)), /32 bytes/);
});

test('choices a contest forbids throw, as in Python', () => {
  const secret = secretOf(vectors.ballots[0].secret);
  for (const { reason, choices } of vectors.invalid_choices) {
    assert.throws(() => encryptBallot(election, choices, secret, new TestRng(new Uint8Array(1))),
      Error, reason);
  }
  const valid = vectors.ballots[0].choices;
  const malformed = [
    null, 'x', [[0], [0], [0], [0], ['0']], [[0], [0], [0], [0], [1.5]],
    [[0], [0], [0], 0, []], [[0], [0], [0], [0], [Number.NaN]],
  ];
  for (const choices of malformed) {
    assert.throws(() => encryptBallot(election, choices, secret), Error);
  }
  for (const badSecret of [0n, L, -1n, 5]) {
    assert.throws(() => encryptBallot(election, valid, badSecret), /secret/);
  }
});
