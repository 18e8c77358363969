// Unit tests of the JS record verifier's own readers (voting/static/src/
// verifier/): strict JSON (PROTOCOL.md §3.2, §14 "readable"), event
// headers (§9.1), the zip member listing and reading (§13, check 1), and
// the table-backed point decoder against group.js's decodePoint (§2.2).
// The verdicts on whole records are compared with Python's in
// tests/client/test_js_verifier.py.
//
//   node --test tests/client/verifier.test.mjs

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { zipSync } from 'fflate';

const src = (path) => import(new URL(`../../voting/static/src/${path}`, import.meta.url));
const { UnreadableError, isCanonical, readJson } = await src('verifier/json.js');
const { readEvent } = await src('verifier/events.js');
const { crc32, listNames, readRecordZip } = await src('verifier/zip.js');
const { parseTablePoint } = await src('verifier/codec.js');
const { containerProblems } = await src('verifier/scan.js');
const { decodePoint } = await src('group.js');

const enc = (s) => new TextEncoder().encode(s);
const unreadable = (text) => assert.throws(() => readJson(typeof text === 'string' ? enc(text) : text),
  UnreadableError, String(text));

// --- strict JSON -------------------------------------------------------------

test('integers within ±2^53 are readable, and so is -0', () => {
  assert.deepEqual(readJson(enc('[0,1,-1,9007199254740992,-9007199254740992]')),
    [0, 1, -1, 2 ** 53, -(2 ** 53)]);
  assert.equal(Object.is(readJson(enc('-0')), -0), true);
  assert.deepEqual(readJson(enc('{"a":"1.5e3 and \\"2.0\\"","b":[true,null]}')),
    { a: '1.5e3 and "2.0"', b: [true, null] });
});

test('fractions, exponents and integers beyond ±2^53 are unreadable', () => {
  for (const text of ['1.0', '[1e2]', '{"a":1E2}', '-1.5', '0.0', '1e-2', '9007199254740993',
    '-9007199254740993', '[100000000000000000000]', '{"x":{"y":[2.5]}}']) {
    unreadable(text);
  }
});

test('lone surrogates and invalid UTF-8 are unreadable; pairs are fine', () => {
  unreadable('"\\ud800"');
  unreadable('"\\udc00x"');
  unreadable('{"\\ud800":1}');
  unreadable(new Uint8Array([0x22, 0xff, 0x22]));
  unreadable(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22])); // UTF-8-encoded surrogate
  assert.equal(readJson(enc('"\\ud83d\\ude00"')), '\u{1f600}');
  unreadable('{"a":1,}');
  unreadable('NaN');
});

test('-0 and a repeated key are readable but not canonical', () => {
  const line = enc('{"a":-0}');
  assert.equal(isCanonical(readJson(line), line), false);
  const twice = enc('{"a":1,"a":1}');
  assert.equal(isCanonical(readJson(twice), twice), false);
  const ok = enc('{"a":0,"b":"é"}');
  assert.equal(isCanonical(readJson(ok), ok), true);
  const spaced = enc('{"a": 0}');
  assert.equal(isCanonical(readJson(spaced), spaced), false);
});

test('an event header is readable only with its four keys and types (§9.1)', () => {
  const good = { seq: 1, parent: 'x', type: 'open', body: {} };
  assert.deepEqual(readEvent(enc(JSON.stringify(good))), good);
  for (const bad of [{ ...good, seq: true }, { ...good, seq: -1 }, { ...good, type: 'vote' },
    { ...good, type: [] }, { ...good, type: 'toString' }, { ...good, parent: 1 },
    { ...good, body: [] }, { ...good, extra: 1 }, { seq: 1, parent: 'x', type: 'open' }]) {
    assert.throws(() => readEvent(enc(JSON.stringify(bad))), UnreadableError, JSON.stringify(bad));
  }
  assert.throws(() => readEvent(enc('')), UnreadableError);
  // §3.2: a line is UTF-8 JSON. (Python's json.loads(bytes) would detect
  // UTF-16 and read this line; the spec, and this verifier, do not.)
  const utf16 = new Uint8Array(Buffer.from(JSON.stringify(good), 'utf16le'));
  assert.throws(() => readEvent(utf16), UnreadableError);
});

// --- zip -----------------------------------------------------------------------

/** A zip of stored members, in order, duplicates allowed (what fflate's zipSync cannot write). */
function storedZip(members, { localName = null, badCrc = false } = {}) {
  const parts = [];
  const central = [];
  let offset = 0;
  for (const [i, [name, data]] of members.entries()) {
    const n = enc(name);
    const ln = i === 0 && localName !== null ? enc(localName) : n;
    const crc = (crc32(data) ^ (badCrc ? 1 : 0)) >>> 0;
    const local = new Uint8Array(30 + ln.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, ln.length, true);
    local.set(ln, 30);
    const cd = new Uint8Array(46 + n.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, n.length, true);
    cv.setUint32(42, offset, true);
    cd.set(n, 46);
    parts.push(local, data);
    central.push(cd);
    offset += local.length + data.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, members.length, true);
  ev.setUint16(10, members.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const BOARD = enc('{"a":1}\n');
const SIG = enc('{"events":1}');

test('every member name is listed, duplicates and directories included', () => {
  const names = ['board.jsonl', 'signature.json', 'board.jsonl', 'dir/'];
  const zip = storedZip(names.map((n) => [n, n.endsWith('/') ? new Uint8Array() : BOARD]));
  assert.deepEqual(listNames(zip), names);
  const record = readRecordZip(zip);
  assert.deepEqual(record.names, names);
  assert.equal(record.board, undefined); // not read: board.jsonl is given twice
  assert.deepEqual(containerProblems(record.names),
    ["member 'board.jsonl' appears 2 times", "unexpected member 'dir/'"]);
  assert.deepEqual(containerProblems(['board.jsonl']), ["member 'signature.json' appears 0 times"]);
  assert.deepEqual(containerProblems(['signature.json', 'board.jsonl']), []);
});

test('the two members are read, stored or deflated', () => {
  const stored = readRecordZip(storedZip([['board.jsonl', BOARD], ['signature.json', SIG]]));
  assert.deepEqual([...stored.board], [...BOARD]);
  assert.deepEqual([...stored.signature], [...SIG]);
  const deflated = readRecordZip(zipSync({ 'signature.json': SIG, 'board.jsonl': BOARD,
    'notes.txt': enc('hi') }, { level: 6 }));
  assert.deepEqual(deflated.names, ['signature.json', 'board.jsonl', 'notes.txt']);
  assert.deepEqual([...deflated.board], [...BOARD]);
});

test('a damaged zip is unreadable, not half read', () => {
  const members = [['board.jsonl', BOARD], ['signature.json', SIG]];
  assert.match(readRecordZip(storedZip(members, { badCrc: true })).unreadable, /CRC/);
  assert.match(readRecordZip(storedZip(members, { localName: 'other.jsonl' })).unreadable,
    /differ/);
  assert.match(readRecordZip(enc('not a zip at all, not even close to one')).unreadable,
    /not a zip/);
  const zip = storedZip(members);
  assert.match(readRecordZip(zip.subarray(0, zip.length - 30)).unreadable, /cannot read/);
});

// --- points ------------------------------------------------------------------------

test('the table-backed decoder accepts exactly what decodePoint accepts (§2.2)', () => {
  const dir = new URL('../vectors/ed25519/', import.meta.url);
  const cctv = JSON.parse(readFileSync(new URL('ed25519vectors.json', dir), 'utf8'));
  const wycheproof = JSON.parse(readFileSync(new URL('ed25519_test.json', dir), 'utf8'));
  const encodings = new Set();
  for (const v of cctv) {
    encodings.add(v.key);
    encodings.add(v.sig.slice(0, 64));
  }
  for (const group of wycheproof.testGroups) {
    encodings.add(group.publicKey?.pk ?? group.key?.pk);
    for (const t of group.tests) if (t.sig.length >= 64) encodings.add(t.sig.slice(0, 64));
  }
  let accepted = 0;
  for (const hex of encodings) {
    if (!/^[0-9a-f]{64}$/.test(hex ?? '')) continue;
    const bytes = Uint8Array.from(hex.match(/../g).map((h) => parseInt(h, 16)));
    let reference = true;
    try {
      decodePoint(bytes);
    } catch {
      reference = false;
    }
    let ours = true;
    try {
      parseTablePoint(hex);
    } catch {
      ours = false;
    }
    assert.equal(ours, reference, hex);
    accepted += ours;
  }
  assert.ok(accepted > 50 && accepted < encodings.size, `${accepted} of ${encodings.size}`);
});
