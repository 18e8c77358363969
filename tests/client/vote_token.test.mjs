// The phone's card-token decoder (voting/static/src/vote/token.js).
//
//   node --test tests/client/vote_token.test.mjs
//
// The fixed vectors were worked out by hand from the rule: 16 bytes, their
// 128 bits most significant first plus 2 zero padding bits, cut into 26
// groups of 5 bits, each written with the Crockford alphabet
// 0123456789ABCDEFGHJKMNPQRSTVWXYZ. For example 00 01 02 03 … starts
// 00000 00000 00000 10000 00100 00000 11… = "000G40R…". The pytest wrapper
// (tests/web/test_vote.py) adds random vectors made in Python through
// VOTE_TOKEN_VECTORS.

import assert from 'node:assert/strict';
import { test } from 'node:test';

const { TokenError, decodeToken, encodeToken, normalizeToken } =
  await import(new URL('../../voting/static/src/vote/token.js', import.meta.url));

const VECTORS = [
  ['00000000000000000000000000000000', '00000000000000000000000000'],
  ['ffffffffffffffffffffffffffffffff', 'ZZZZZZZZZZZZZZZZZZZZZZZZZW'],
  ['80000000000000000000000000000000', 'G0000000000000000000000000'],
  ['00000000000000000000000000000001', '00000000000000000000000004'],
  ['00000000000000000000000000000002', '00000000000000000000000008'],
  ['00000000000000000000000000000004', '0000000000000000000000000G'],
  ['00000000000000000000000000000008', '00000000000000000000000010'],
  ['000102030405060708090a0b0c0d0e0f', '000G40R40M30E209185GR38E1W'],
  ['deadbeefdeadbeefdeadbeefdeadbeef', 'VTPVXVYYNPZEZQNDQVQXXBDYXW'],
];

function hex(bytes) {
  return Buffer.from(bytes).toString('hex');
}

function fromHex(text) {
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

const extra = JSON.parse(process.env.VOTE_TOKEN_VECTORS || '[]');

test('decodes the hand-made vectors and re-encodes them', () => {
  for (const [bytes, text] of VECTORS) {
    assert.equal(hex(decodeToken(text)), bytes, text);
    assert.equal(encodeToken(fromHex(bytes)), text, bytes);
  }
});

test('decodes vectors made by the Python test', () => {
  for (const [bytes, text] of extra) {
    assert.equal(hex(decodeToken(text)), bytes, text);
    assert.equal(encodeToken(fromHex(bytes)), text, bytes);
  }
});

test('accepts lower case, hyphens, spaces and Crockford aliases', () => {
  const bytes = '000102030405060708090a0b0c0d0e0f';
  for (const typed of ['000g40r40m30e209185gr38e1w', '000G-40R4-0M30-E209-185G-R38E-1W',
    ' 000G 40R4 0M30 E209 185G R38E 1W ', 'OOOG40R40M30E2O9185GR38E1W',
    '000G-40r4-0m30-e209-185g-r38e-1w']) {
    assert.equal(hex(decodeToken(typed)), bytes, typed);
  }
  // I and L read as 1: 0x08 in the last byte is the digit 1 in position 25.
  assert.equal(hex(decodeToken('000000000000000000000000I0')), '00000000000000000000000000000008');
  assert.equal(hex(decodeToken('000000000000000000000000l0')), '00000000000000000000000000000008');
  assert.equal(normalizeToken('ab-cd o i l'), 'ABCD011');
});

test('refuses anything that is not exactly one token', () => {
  const refused = {
    '0000000000000000000000000': 'length', // 25 digits
    '000000000000000000000000000': 'length', // 27 digits
    '': 'length',
    '00000000000000000000000001': 'padding', // lowest padding bit set
    '00000000000000000000000002': 'padding', // highest padding bit set
    'ZZZZZZZZZZZZZZZZZZZZZZZZZZ': 'padding',
    '0000000000000000000000000U': 'character', // U is not in the alphabet
    '000000000000000000000000_0': 'character',
    '0000000000000.000000000000': 'character',
    '0000000000000000000000000\u00d8': 'character',
    // Non-ASCII letters whose Unicode upper case is ASCII: never accepted.
    '0000000000000000000000000\u0131': 'character', // dotless ı -> I
    '000000000000000000000000\u017f0': 'character', // long ſ -> S
    '0000000000000000000000000\t': 'character',
  };
  for (const [text, reason] of Object.entries(refused)) {
    assert.throws(() => decodeToken(text), (err) => err instanceof TokenError && err.reason === reason,
      JSON.stringify(text));
  }
  assert.throws(() => decodeToken(null), TokenError);
  assert.throws(() => encodeToken(new Uint8Array(15)), TokenError);
});
