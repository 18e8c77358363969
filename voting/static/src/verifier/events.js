// The shape of board events (PROTOCOL.md §9.1, §9.3), mirroring
// voting/crypto/events.py: readEvent decides whether a line is readable
// (§14), bodyProblem whether its body has exactly the keys and types of
// §9.3 (check 1; a malformed body counts as missing for the other checks).

import { VerifyError, expectHex64, expectInt, expectList, expectObject, isObject } from './codec.js';
import { UnreadableError, readJson } from './json.js';

export const BODY_KEYS = {
  setup: ['election', 'fingerprint'], open: ['at'], ballot: ['ballot', 'tracker'],
  revoke: ['credential'], close: ['at', 'bases'], tally: ['ciphertexts'],
  partial: ['trustee', 'shares'], result: ['trustees', 'counts', 'outcomes'],
  audit: ['round', 'fingerprint', 'ciphertexts', 'randomness', 'choices'],
};
const EVENT_KEYS = ['seq', 'parent', 'type', 'body'];
export const BASE_NAMES = ['members', 'present', 'issued', 'cast'];
const OUTCOME_KEYS = ['contest', 'option', 'count', 'base', 'status'];
const STATUSES = ['elected', 'not_elected', 'runoff'];
const AT = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})Z$/;

/**
 * Parse a board line (bytes, without its newline) into an event whose
 * header is readable (§14): strict JSON (§3.2), exactly the four keys, an
 * integer seq ≥ 0, a string parent, a known type and an object body.
 * @throws {UnreadableError}
 */
export function readEvent(line) {
  let event;
  try {
    event = readJson(line);
  } catch (err) {
    throw new UnreadableError(`not readable JSON: ${err.message}`);
  }
  try {
    expectObject(event, EVENT_KEYS, 'event');
    expectInt(event.seq, 'seq');
  } catch (err) {
    throw new UnreadableError(err.message);
  }
  if (typeof event.parent !== 'string') throw new UnreadableError('parent: expected a string');
  if (typeof event.type !== 'string' || !Object.hasOwn(BODY_KEYS, event.type)) {
    throw new UnreadableError('unknown event type');
  }
  if (!isObject(event.body)) throw new UnreadableError('body: expected an object');
  return event;
}

/** What is wrong with a readable event's body (§9.3), or null. */
export function bodyProblem(event) {
  try {
    BODY[event.type](expectObject(event.body, BODY_KEYS[event.type], 'body'));
  } catch (err) {
    if (!(err instanceof VerifyError)) throw err;
    return err.message;
  }
  return null;
}

/** A UTC time to the minute, YYYY-MM-DDTHH:MMZ, that exists (§9.3). */
export function expectAt(value, what = 'at') {
  const m = typeof value === 'string' ? AT.exec(value) : null;
  if (!m) throw new VerifyError(`${what}: expected YYYY-MM-DDTHH:MMZ`);
  const [year, month, day, hour, minute] = m.slice(1).map(Number);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (year < 1 || !days || day < 1 || day > days || hour > 23 || minute > 59) {
    throw new VerifyError(`${what}: not a real date and time`);
  }
  return value;
}

/** The four bases of a close body, each an integer ≥ 0. */
export function closeBases(body) {
  const bases = expectObject(body.bases, BASE_NAMES, 'bases');
  for (const name of BASE_NAMES) expectInt(bases[name], `bases.${name}`);
  return bases;
}

function hexRows(value, keys, what) {
  expectList(value, what).forEach((row, i) => {
    expectList(row, `${what}[${i}]`).forEach((item, j) => {
      expectObject(item, keys, `${what}[${i}][${j}]`);
      for (const key of keys) expectHex64(item[key], `${what}[${i}][${j}].${key}`);
    });
  });
}

/** §9.3's audit row: the types only; check 19 reads the contents (events._audit). */
function audit(body) {
  if (typeof body.round !== 'string') throw new VerifyError('round: expected a string');
  expectHex64(body.fingerprint, 'fingerprint');
  hexRows(body.ciphertexts, ['alpha', 'beta'], 'ciphertexts');
  expectList(body.randomness, 'randomness').forEach((row, i) => {
    expectList(row, `randomness[${i}]`).forEach((r, j) => expectHex64(r, `randomness[${i}][${j}]`));
  });
  expectList(body.choices, 'choices').forEach((row, i) => {
    expectList(row, `choices[${i}]`).forEach((c, j) => expectInt(c, `choices[${i}][${j}]`));
  });
}

function objectAndHash(body, obj, digest) {
  if (!isObject(body[obj])) throw new VerifyError(`${obj}: expected an object`);
  expectHex64(body[digest], digest);
}

function result(body) {
  expectList(body.trustees, 'trustees').forEach((t, i) => expectInt(t, `trustees[${i}]`, 1));
  expectList(body.counts, 'counts').forEach((row, i) => {
    expectList(row, `counts[${i}]`).forEach((n, j) => expectInt(n, `counts[${i}][${j}]`));
  });
  expectList(body.outcomes, 'outcomes').forEach((row, i) => {
    expectList(row, `outcomes[${i}]`).forEach((o, j) => {
      const what = `outcomes[${i}][${j}]`;
      expectObject(o, OUTCOME_KEYS, what);
      for (const key of ['contest', 'count', 'base']) expectInt(o[key], `${what}.${key}`);
      if (o.option !== null) expectInt(o.option, `${what}.option`);
      if (!STATUSES.includes(o.status)) throw new VerifyError(`${what}.status: one of ${STATUSES}`);
    });
  });
}

const BODY = {
  setup: (b) => objectAndHash(b, 'election', 'fingerprint'),
  open: (b) => expectAt(b.at),
  ballot: (b) => objectAndHash(b, 'ballot', 'tracker'),
  revoke: (b) => expectHex64(b.credential, 'credential'),
  close: (b) => { expectAt(b.at); closeBases(b); },
  tally: (b) => hexRows(b.ciphertexts, ['alpha', 'beta'], 'ciphertexts'),
  partial: (b) => { expectInt(b.trustee, 'trustee', 1); hexRows(b.shares, ['d', 'c', 'u'], 'shares'); },
  result,
  audit,
};
