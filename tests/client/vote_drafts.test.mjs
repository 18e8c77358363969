// The choices kept over a reload (voting/static/src/vote/drafts.js):
//
//   node --test tests/client/vote_drafts.test.mjs
//
// Only option indices per round are stored; a value that does not fit the
// manifest is ignored; an arrival that does not continue the page (not a
// reload, back/forward or language link) forgets every choice.

import assert from 'node:assert/strict';
import { test } from 'node:test';

const { Drafts, fitChoices } =
  await import(new URL('../../voting/static/src/vote/drafts.js', import.meta.url));

/** Enough of the Storage interface, over a Map. */
class FakeStorage {
  constructor() { this.map = new Map(); }
  get length() { return this.map.size; }
  key(k) { return [...this.map.keys()][k] ?? null; }
  getItem(key) { return this.map.has(key) ? this.map.get(key) : null; }
  setItem(key, value) { this.map.set(key, String(value)); }
  removeItem(key) { this.map.delete(key); }
}

const AGREE = { max: 1, options: [{ id: 'agree' }, { id: 'disagree' }] };
const CHOOSE2 = { max: 2, options: [{ id: 'u1' }, { id: 'u2' }, { id: 'u3' }] };
const CONTESTS = [AGREE, AGREE, CHOOSE2];

test('choices are kept per round, as option indices only', () => {
  const storage = new FakeStorage();
  const drafts = new Drafts(storage);
  drafts.enter('r-1');
  drafts.put('r-1', [[0], [], [2, 0]]);
  drafts.put('r-2', [[1]]);
  assert.deepEqual(drafts.get('r-1', CONTESTS), [[0], [], [0, 2]]);
  assert.deepEqual(drafts.get('r-2', [AGREE]), [[1]]);
  assert.equal(drafts.get('r-3', CONTESTS), null);
  assert.equal(drafts.current(), 'r-1');
  assert.deepEqual([...storage.map.entries()].sort(), [
    ['voting.choices-current', 'r-1'],
    ['voting.choices.r-1', '[[0],[],[2,0]]'],
    ['voting.choices.r-2', '[[1]]'],
  ]);
});

test('a value that does not fit the manifest is not restored', () => {
  for (const bad of [null, 'x', {}, [[0], []], [[0], [], [0, 1, 2]], [[2], [], []],
    [[0, 0], [], []], [[0.5], [], []], [['0'], [], []], [[-1], [], []], [[0, 1], [], []]]) {
    assert.equal(fitChoices(bad, CONTESTS), null, JSON.stringify(bad));
  }
  const storage = new FakeStorage();
  storage.setItem('voting.choices.r-1', '{not json');
  assert.equal(new Drafts(storage).get('r-1', CONTESTS), null);
});

test('cast or left: dropped; another card: all forgotten', () => {
  const storage = new FakeStorage();
  const drafts = new Drafts(storage);
  drafts.enter('r-1');
  drafts.put('r-1', [[0], [1], []]);
  drafts.put('r-2', [[1]]);
  drafts.drop('r-1');
  assert.equal(drafts.get('r-1', CONTESTS), null);
  assert.equal(drafts.current(), null);
  drafts.enter('r-2');
  drafts.leave();
  assert.equal(drafts.current(), null);
  assert.deepEqual(drafts.get('r-2', [AGREE]), [[1]]);
  storage.setItem('voting.pending.r-2.abc', '{"ballot":1}'); // not the drafts' to forget
  drafts.clear();
  assert.deepEqual([...storage.map.keys()], ['voting.pending.r-2.abc']);
});

test('only a reload, back/forward or a language link keeps the choices', () => {
  for (const [navigation, carried, kept] of [['reload', false, true], ['back_forward', false, true],
    ['navigate', true, true], ['navigate', false, false], [undefined, false, false]]) {
    const storage = new FakeStorage();
    const before = new Drafts(storage);
    before.enter('r-1');
    before.put('r-1', [[0]]);
    if (carried) before.carry();
    const after = new Drafts(storage);
    after.start(navigation);
    assert.deepEqual(after.get('r-1', [AGREE]), kept ? [[0]] : null, `${navigation} ${carried}`);
    assert.equal(storage.getItem('voting.choices-carry'), null); // used once
  }
});

test('without storage nothing is kept and nothing throws', () => {
  const drafts = new Drafts(null);
  drafts.start('reload');
  drafts.enter('r-1');
  drafts.put('r-1', [[0]]);
  assert.equal(drafts.get('r-1', [AGREE]), null);
  drafts.drop('r-1');
  drafts.clear();
});
