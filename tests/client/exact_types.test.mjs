// Exact JSON types in the browser client (PROTOCOL.md §3.2): what it reads
// from the server refuses booleans where integers belong (and integers where
// booleans belong) and integers beyond ±(2^53 − 1); its canonical JSON
// throws on non-integers, on integers beyond ±2^53 and on lone surrogates.
// Valid inputs keep their bytes (tests/client/vectors.test.mjs).
//
//   node --test tests/client/exact_types.test.mjs

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const src = (path) => import(new URL(`../../voting/static/src/${path}`, import.meta.url));
const { canonicalJson, isJsonInt } = await src('encoding.js');
const { parseElection } = await src('election.js');
const { ResponseError, readCastReply, readOpenRounds, readReceipt, readStatus } =
  await src('vote/responses.js');
const { publicShareOf, trusteeIndex } = await src('trustee/share.js');
const { ceremonyFromJson } = await src('trustee/dkg.js');
const { partialDecrypt } = await src('trustee/partial.js');
const { isSessionReply } = await src('trustee/enrol-page.js');
const bundle = await import(new URL('../../voting/static/dist/ballot.js', import.meta.url));

const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8'));
const ELECTION = vectors.election.object;
const FINGERPRINT = vectors.election.fingerprint;
const TRACKER = vectors.ballots[0].tracker;
/** Not integers, each where one belongs: booleans first (true is what 1 would be). */
const NOT_INTEGERS = [true, false, '1', 1.5, Number.NaN, 2 ** 53, -(2 ** 53), 1n, null];

const copy = (value) => JSON.parse(JSON.stringify(value));

// --- canonical JSON --------------------------------------------------------------

test('canonical JSON writes ±2^53 and booleans as themselves', () => {
  for (const json of [canonicalJson, bundle.canonicalJson]) {
    assert.equal(json([2 ** 53, -(2 ** 53), 0, -0, true, false, null]),
      '[9007199254740992,-9007199254740992,0,0,true,false,null]');
    assert.equal(json({ b: 2n ** 53n, a: -(2n ** 53n) }), '{"a":-9007199254740992,"b":9007199254740992}');
    assert.equal(json({ '\ud83d\ude00': 'ok \ud83d\ude00' }), '{"\ud83d\ude00":"ok \ud83d\ude00"}');
  }
});

test('canonical JSON throws beyond ±2^53, on non-integers and on lone surrogates', () => {
  const beyond = [2 ** 53 + 2, -(2 ** 53) - 2, Number.MAX_VALUE, 2n ** 53n + 1n,
    -(2n ** 53n) - 1n, { a: [2 ** 54] }];
  const nonIntegers = [0.5, -1e-9, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY,
    [1, 2.5], undefined, [undefined], { a: undefined }, [1, , 2], new Number(1), Object(1n)];  // eslint-disable-line no-sparse-arrays
  const surrogates = ['\ud800', 'a\udfffb', '\udc00\ud800', { '\ud800': 1 }, ['x', { y: '\udbff' }]];
  for (const json of [canonicalJson, bundle.canonicalJson]) {
    for (const value of beyond) assert.throws(() => json(value), RangeError, String(value));
    for (const value of nonIntegers) assert.throws(() => json(value), TypeError, String(value));
    for (const value of surrogates) assert.throws(() => json(value), TypeError, JSON.stringify(value));
  }
});

test('isJsonInt takes only safe integer numbers', () => {
  for (const value of [0, 1, -1, 2 ** 53 - 1, -(2 ** 53 - 1)]) assert.ok(isJsonInt(value), value);
  for (const value of NOT_INTEGERS) assert.ok(!isJsonInt(value), String(value));
  assert.ok(isJsonInt(3, 1, 3) && !isJsonInt(4, 1, 3) && !isJsonInt(0, 1, 3));
});

// --- the election object ------------------------------------------------------------

function electionWith(change) {
  const election = copy(ELECTION);
  change(election);
  return election;
}

test('the election object keeps parsing when valid', () => {
  for (const parse of [parseElection, bundle.parseElection]) {
    assert.equal(Buffer.from(parse(copy(ELECTION)).fingerprint).toString('hex'), FINGERPRINT);
  }
});

test('the election object refuses booleans and unsafe numbers wherever an integer belongs', () => {
  const places = {
    'manifest.version': (e, v) => { e.manifest.version = v; },
    'contest.min': (e, v) => { e.manifest.contests[0].min = v; },
    'contest.max': (e, v) => { e.manifest.contests[0].max = v; },
    threshold: (e, v) => { e.threshold = v; },
    'trustee.index': (e, v) => { e.trustees[0].index = v; },
  };
  for (const [where, set] of Object.entries(places)) {
    for (const value of [...NOT_INTEGERS, 2 ** 53 + 2]) {
      const election = electionWith((e) => set(e, value));
      for (const parse of [parseElection, bundle.parseElection]) {
        assert.throws(() => parse(election), Error, `${where} = ${String(value)}`);
      }
    }
  }
});

test('the election object refuses a threshold or trustees outside 1 ≤ t ≤ n ≤ 32', () => {
  const n = ELECTION.trustees.length;
  const bad = [
    (e) => { e.threshold = 0; },
    (e) => { e.threshold = n + 1; },
    (e) => { e.threshold = 33; },
    (e) => { e.trustees[1].index = 1; },
    (e) => { e.trustees[0].name = ''; },
    (e) => { e.trustees[0].public_share = e.trustees[0].public_share.toUpperCase(); },
    (e) => { e.trustees[0].extra = 1; },
    (e) => { e.trustees = {}; },
  ];
  for (const change of bad) assert.throws(() => parseElection(electionWith(change)), Error);
});

// --- the vote API's replies ------------------------------------------------------------

const RECEIPT = { round: ELECTION.manifest.round, tracker: TRACKER, short_tracker: 'ABCD-EFGH', seq: 2 };
const LINKS = { board_url: '/board/x/ballots/y', qr: 'data:image/svg+xml;base64,PHN2Zy8+' };
const STATUS = { round: ELECTION.manifest.round, state: 'open', known: true, revoked: false, receipt: null };
const OPEN_ROUND = { round: ELECTION.manifest.round, title: 'Vòng 1', conference: 'Hội nghị',
  kind: 'per_unit', election: ELECTION, fingerprint: FINGERPRINT };

test('well-typed replies are read as they are', () => {
  assert.deepEqual(readReceipt(copy(RECEIPT)), RECEIPT);
  assert.deepEqual(readCastReply({ receipt: copy(RECEIPT), ...LINKS }), { receipt: RECEIPT, ...LINKS });
  assert.deepEqual(readStatus(copy(STATUS)), STATUS);
  assert.deepEqual(readStatus({ ...STATUS, receipt: copy(RECEIPT), ...LINKS }).receipt, RECEIPT);
  assert.deepEqual(readOpenRounds({ rounds: [copy(OPEN_ROUND)] }), [OPEN_ROUND]);
  assert.deepEqual(readOpenRounds({ rounds: [] }), []);
});

test('a receipt seq that is not a safe integer is refused', () => {
  for (const seq of [...NOT_INTEGERS, -1, 2 ** 53 + 2]) {
    assert.throws(() => readReceipt({ ...RECEIPT, seq }), ResponseError, String(seq));
    assert.throws(() => readCastReply({ receipt: { ...RECEIPT, seq }, ...LINKS }), ResponseError);
  }
  assert.throws(() => readReceipt({ ...RECEIPT, tracker: TRACKER.toUpperCase() }), ResponseError);
  assert.throws(() => readCastReply({ receipt: RECEIPT }), ResponseError); // links missing
});

test('status flags are booleans, never 0 or 1', () => {
  for (const field of ['known', 'revoked']) {
    for (const value of [0, 1, 'true', null, undefined]) {
      assert.throws(() => readStatus({ ...STATUS, [field]: value }), ResponseError, `${field} = ${value}`);
    }
  }
  const { receipt, ...noReceipt } = STATUS; // eslint-disable-line no-unused-vars
  assert.throws(() => readStatus(noReceipt), ResponseError);
  assert.throws(() => readStatus({ ...STATUS, receipt: { ...RECEIPT, seq: true }, ...LINKS }),
    ResponseError);
});

test('an open round whose election has inexact types, or is another round\'s, is refused', () => {
  const withElection = (change) => ({ rounds: [{ ...OPEN_ROUND, election: electionWith(change) }] });
  for (const value of [true, false, 2 ** 53 + 2]) {
    assert.throws(() => readOpenRounds(withElection((e) => { e.threshold = value; })), ResponseError);
    assert.throws(() => readOpenRounds(withElection((e) => { e.trustees[0].index = value; })),
      ResponseError);
    assert.throws(() => readOpenRounds(withElection((e) => { e.manifest.version = value; })),
      ResponseError);
  }
  assert.throws(() => readOpenRounds({ rounds: [{ ...OPEN_ROUND, fingerprint: '00'.repeat(32) }] }),
    ResponseError);
  assert.throws(() => readOpenRounds({ rounds: [{ ...OPEN_ROUND, round: 'r-other' }] }), ResponseError);
  assert.throws(() => readOpenRounds({ rounds: {} }), ResponseError);
});

// --- the trustee pages ---------------------------------------------------------------

test('a trustee index is an integer from 1 to 32, never a boolean', () => {
  assert.equal(trusteeIndex(1), 1);
  assert.equal(trusteeIndex(32), 32);
  for (const index of [...NOT_INTEGERS, 0, 33]) {
    assert.throws(() => trusteeIndex(index), Error, String(index));
    assert.throws(() => publicShareOf(ELECTION.dealers, index), Error, String(index));
  }
  const frame = { conference_id: 1, attempt: 1, threshold: 1, enrolment_keys: ['09'.repeat(32)] };
  assert.equal(ceremonyFromJson(frame).conferenceId, 1);
  for (const conferenceId of [true, 0, 1.5, '1', 2 ** 53]) {
    assert.throws(() => ceremonyFromJson({ ...frame, conference_id: conferenceId }),
      /conference id/, String(conferenceId));
    assert.throws(() => ceremonyFromJson({ ...frame, attempt: conferenceId }), /attempt/,
      String(conferenceId));
  }
});

test('a partial decryption is never computed for a boolean index', async () => {
  for (const index of [true, false, 2 ** 53, 33]) {
    await assert.rejects(partialDecrypt({ index, share: 1n, fingerprint: FINGERPRINT,
      publicKey: ELECTION.public_key, publicShare: ELECTION.trustees[0].public_share,
      ciphertexts: [] }), /bad trustee index/);
  }
});

test('the trustee session reply has exact types', () => {
  const reply = { name: 'An', index: 1, conference: 'Hội nghị', is_enrolled: false, has_key: false,
    key_generation_started: false, home: '/trustee/' };
  assert.ok(isSessionReply(reply));
  for (const [field, value] of [['has_key', 0], ['has_key', 1], ['is_enrolled', 1], ['index', true],
    ['key_generation_started', 1], ['key_generation_started', undefined],
    ['index', 2 ** 53], ['name', null]]) {
    assert.ok(!isSessionReply({ ...reply, [field]: value }), `${field} = ${value}`);
  }
  assert.ok(!isSessionReply(null));
});

test('the receipt QR code is an inline SVG, never a URL to fetch', () => {
  for (const qr of ['/board/x/ballots/y/qr.svg', 'https://evil.example/qr.svg', 'data:text/html,x', 1]) {
    assert.throws(() => readCastReply({ receipt: copy(RECEIPT), ...LINKS, qr }), /qr/, String(qr));
  }
});
