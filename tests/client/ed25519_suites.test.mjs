// The JS record-signature rule (voting/static/src/signature.js) and strict
// point decoding (group.js decodePoint, PROTOCOL.md §2.2) against the two
// outside suites in tests/vectors/ed25519/: C2SP/CCTV ed25519vectors.json
// and Wycheproof ed25519_test.json.
//
//   node --test tests/client/ed25519_suites.test.mjs
//   node tests/client/ed25519_suites.test.mjs --json   # verdicts, for pytest
//
// The expected verdicts come from the suites' own data: a CCTV vector is
// accepted iff it has no flag saying A or R is small-order, has a
// small-order component or is non-canonically encoded (every CCTV signature
// verifies under the lenient ZIP215 rule); a Wycheproof case is accepted iff
// it is labelled "valid". tests/client/test_ed25519_js.py runs this file and
// compares the --json verdicts with the Python verifier, vector by vector.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { ed25519 } from '@noble/curves/ed25519';
import { sha512 } from '@noble/hashes/sha512';

const src = new URL('../../voting/static/src/', import.meta.url);
const { BASE, L, decodePoint } = await import(new URL('group.js', src));
const { ed25519Failure, verifyEd25519 } = await import(new URL('signature.js', src));

const VECTORS = new URL('../vectors/ed25519/', import.meta.url);
const POINT_FLAGS = ['low_order_A', 'low_order_R', 'low_order_component_A', 'low_order_component_R',
  'non_canonical_A', 'non_canonical_R'];

function fromHex(hex) {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

function bytesToBigIntLE(bytes) {
  return BigInt(`0x${Buffer.from(bytes).reverse().toString('hex') || '0'}`);
}

function readJson(name) {
  return JSON.parse(readFileSync(new URL(name, VECTORS), 'utf8'));
}

function cctvVectors() {
  return readJson('ed25519vectors.json').map((v) => ({
    suite: 'cctv', id: v.number, key: fromHex(v.key), msg: new TextEncoder().encode(v.msg),
    sig: fromHex(v.sig), flags: new Set(v.flags ?? []),
  }));
}

function wycheproofVectors() {
  const out = [];
  for (const g of readJson('ed25519_test.json').testGroups) {
    for (const t of g.tests) {
      out.push({ suite: 'wycheproof', id: t.tcId, key: fromHex(g.publicKey.pk), msg: fromHex(t.msg),
        sig: fromHex(t.sig), result: t.result, flags: new Set(t.flags), comment: t.comment });
    }
  }
  return out;
}

const ALL = [...cctvVectors(), ...wycheproofVectors()];

function expectedAccept(v) {
  if (v.suite === 'cctv') return !POINT_FLAGS.some((f) => v.flags.has(f));
  return v.result === 'valid';
}

const decoded = new Map();

/** Whether decodePoint accepts the bytes (memoized: the suites reuse points). */
function decodes(bytes) {
  const hex = Buffer.from(bytes).toString('hex');
  if (!decoded.has(hex)) {
    try {
      decodePoint(bytes);
      decoded.set(hex, true);
    } catch {
      decoded.set(hex, false);
    }
  }
  return decoded.get(hex);
}

function nobleStrictAccepts(v) {
  try {
    return ed25519.verify(v.sig, v.msg, v.key, { zip215: false });
  } catch {
    return false;
  }
}

/** One line per vector: our verdict, where it failed, and decodePoint on A and R. */
function verdicts() {
  return ALL.map((v) => ({
    suite: v.suite,
    id: v.id,
    verdict: ed25519Failure(v.key, v.msg, v.sig) ?? 'accept',
    A: decodes(v.key),
    R: v.sig.length >= 32 ? decodes(v.sig.subarray(0, 32)) : null,
  }));
}

if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(verdicts())}\n`);
} else {
  test('the suites have the expected sizes', () => {
    assert.equal(ALL.filter((v) => v.suite === 'cctv').length, 914);
    assert.equal(ALL.filter((v) => v.suite === 'wycheproof').length, 151);
    assert.equal(readJson('ed25519_test.json').numberOfTests, 151);
  });

  test('verifyEd25519 gives the verdict the suites\' labels and flags imply', () => {
    const accepted = { cctv: [], wycheproof: [] };
    for (const v of ALL) {
      const ok = verifyEd25519(v.key, v.msg, v.sig);
      assert.equal(ok, expectedAccept(v), `${v.suite} ${v.id} ${[...v.flags]} ${v.comment ?? ''}`);
      if (ok) accepted[v.suite].push(v.id);
    }
    // CCTV: only the vector without flags (prime-order A and R).
    assert.deepEqual(accepted.cctv, cctvVectors().filter((v) => v.flags.size === 0).map((v) => v.id));
    assert.equal(accepted.wycheproof.length, 88);
  });

  test('decodePoint refuses exactly the flagged CCTV points and no Wycheproof key', () => {
    for (const v of ALL) {
      const R = v.sig.subarray(0, 32);
      if (v.suite === 'cctv') {
        for (const [name, point] of [['A', v.key], ['R', R]]) {
          const bad = [`low_order_${name}`, `low_order_component_${name}`, `non_canonical_${name}`]
            .some((f) => v.flags.has(f));
          assert.equal(decodes(point), !bad, `cctv ${v.id} ${name}`);
        }
      } else {
        assert.ok(decodes(v.key), `wycheproof ${v.id} key`);
        if (v.result === 'valid') assert.ok(decodes(R), `wycheproof ${v.id} R`);
      }
    }
  });

  test('cofactored and cofactorless equations agree when A and R are valid', () => {
    let checked = 0;
    for (const v of ALL) {
      if (v.sig.length !== 64 || !decodes(v.key) || !decodes(v.sig.subarray(0, 32))) continue;
      const s = bytesToBigIntLE(v.sig.subarray(32));
      if (s >= L) continue;
      const A = decodePoint(v.key);
      const R = decodePoint(v.sig.subarray(0, 32));
      const h = sha512(new Uint8Array([...v.sig.subarray(0, 32), ...v.key, ...v.msg]));
      const k = bytesToBigIntLE(h) % L;
      const x = BASE.multiplyUnsafe(s).subtract(R).subtract(A.multiplyUnsafe(k));
      assert.equal(x.is0(), x.clearCofactor().is0(), `${v.suite} ${v.id}`);
      assert.equal(x.is0(), verifyEd25519(v.key, v.msg, v.sig), `${v.suite} ${v.id}`);
      checked += 1;
    }
    assert.equal(checked, 1 + 92);
  });

  test('noble\'s ed25519.verify({ zip215: false }) is laxer: it is not the rule', () => {
    const extra = [];
    for (const v of ALL) {
      const ours = verifyEd25519(v.key, v.msg, v.sig);
      const noble = nobleStrictAccepts(v);
      assert.ok(noble || !ours, `${v.suite} ${v.id}: we accept what noble refuses`);
      if (noble && !ours) extra.push(v);
    }
    assert.ok(extra.every((v) => v.suite === 'cctv' && POINT_FLAGS.some((f) => v.flags.has(f))));
    // It accepts a small-order R (and never a small-order A) ...
    assert.ok(extra.some((v) => v.flags.has('low_order_R') && !v.flags.has('low_order_A')));
    assert.ok(extra.every((v) => !v.flags.has('low_order_A') && !v.flags.has('non_canonical_A')));
    assert.ok(extra.every((v) => !v.flags.has('non_canonical_R')));
    // ... and mixed-order A and R, including low_order_residue signatures.
    assert.ok(extra.some((v) => v.flags.has('low_order_component_A') && !v.flags.has('low_order_A')));
    assert.ok(extra.some((v) => v.flags.has('low_order_component_R') && !v.flags.has('low_order_R')));
    assert.ok(extra.some((v) => v.flags.has('low_order_residue')));
  });

  test('verifyEd25519 refuses non-Uint8Array arguments loudly', () => {
    const v = ALL[0];
    assert.throws(() => verifyEd25519(Array.from(v.key), v.msg, v.sig), TypeError);
    assert.throws(() => verifyEd25519(v.key, 'message', v.sig), TypeError);
    assert.throws(() => verifyEd25519(v.key, v.msg, Array.from(v.sig)), TypeError);
  });
}
