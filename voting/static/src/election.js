// The election object as the ballot client needs it (PROTOCOL.md §5),
// mirroring the parts of voting/crypto/manifest.py and election.py that
// shape a ballot: the round id, the contests, the packing radix, the joint
// key K and the fingerprint.
//
// Only what the client uses is checked here, with the same rules as the
// Python parser; the rest (rules, trustees, dealers, the validity of every
// credential point) is bound by the fingerprint and checked by the server
// and the verifier.

import { canonicalJson, compareCodePoints, isJsonInt, utf8 } from './encoding.js';
import { electionKey } from './group.js';
import { hash32 } from './hashing.js';

const ELECTION_KEYS = ['ballot_client', 'ceremony', 'credentials', 'dealers', 'manifest',
  'public_key', 'server_key', 'threshold', 'trustees'];
const MANIFEST_KEYS = ['conference', 'contests', 'round', 'rules', 'title', 'version'];
const CONTEST_KEYS = ['encoding', 'id', 'max', 'min', 'options', 'title'];
const OPTION_KEYS = ['id', 'title'];
const TRUSTEE_KEYS = ['index', 'name', 'public_share'];
const MAX_TRUSTEES = 32;
const ENCODINGS = ['options', 'packed'];
/** The ceremonies that can make a key (§4.1): every trustee deals, or one dealer. */
const DISTRIBUTED = 'distributed';
const DEALER = 'dealer';
const HEX64 = /^[0-9a-f]{64}$/;

/** A packed contest's largest plaintext stays below this bound (§11.3). */
export const PACKED_LIMIT = 2 ** 32;
const MAX_CONTESTS = 200;
const MAX_OPTIONS = 200;
const MAX_PACKED_OPTIONS = 4;

/** H32("fingerprint", canonical JSON of the election object) (§5.3). */
export function electionFingerprint(electionObj) {
  return hash32('fingerprint', utf8(canonicalJson(electionObj)));
}

/**
 * Validate the parts of an election object a ballot depends on.
 *
 * @returns {{raw, fingerprint: Uint8Array, roundId: string, contests: object[],
 *            radix: number, key: FixedBase}}
 * @throws {Error} on any malformed part.
 */
export function parseElection(obj) {
  expectObject(obj, ELECTION_KEYS, 'election');
  const manifest = expectObject(obj.manifest, MANIFEST_KEYS, 'manifest');
  // The integer 1: `true` is not 1 here, as it is not in Python's parser.
  if (manifest.version !== 1) throw new Error('manifest: unsupported version');
  expectStr(manifest.conference, 'manifest.conference');
  expectStr(manifest.title, 'manifest.title');
  const roundId = expectStr(manifest.round, 'manifest.round', 200);
  const items = expectList(manifest.contests, 'manifest.contests');
  if (items.length < 1 || items.length > MAX_CONTESTS) throw new Error('manifest: 1 to 200 contests');
  const contests = items.map(parseContest);
  if (new Set(contests.map((c) => c.id)).size !== contests.length) {
    throw new Error('manifest: contest ids must be distinct');
  }
  checkTrustees(obj.threshold, obj.trustees);
  checkCeremony(obj.ceremony, obj.dealers, obj.trustees.length);
  if (typeof obj.ballot_client !== 'string' || !/^[0-9a-f]{64}$/.test(obj.ballot_client)) {
    throw new Error('ballot_client must be a SHA-256 in 64 lowercase hex digits');
  }
  const radix = credentialCount(obj.credentials) + 1;
  for (const c of contests) {
    if (c.encoding === 'packed' && radix ** c.options.length >= PACKED_LIMIT) {
      throw new Error(`contest ${c.id}: too many credentials to pack`);
    }
  }
  return {
    raw: obj,
    fingerprint: electionFingerprint(obj),
    roundId,
    contests,
    radix,
    key: electionKey(obj.public_key),
    ballotClient: obj.ballot_client,
  };
}

/**
 * The threshold t and the trustees 1…n, t ≤ n ≤ 32, as election.parse_election
 * reads them: integers, never booleans (the shares' points are the server's
 * and the verifier's to check; the fingerprint binds them).
 */
function checkTrustees(threshold, trustees) {
  expectInt(threshold, 'threshold', 1, MAX_TRUSTEES);
  expectList(trustees, 'trustees');
  trustees.forEach((t, i) => {
    expectObject(t, TRUSTEE_KEYS, `trustee ${i}`);
    expectInt(t.index, `trustee ${i}.index`, i + 1, i + 1);
    expectStr(t.name, `trustee ${i}.name`, 200);
    if (typeof t.public_share !== 'string' || !HEX64.test(t.public_share)) {
      throw new Error(`trustee ${i}.public_share: expected hex`);
    }
  });
  if (trustees.length < threshold || trustees.length > MAX_TRUSTEES) {
    throw new Error('need threshold <= trustees <= 32');
  }
}

/**
 * The ceremony and its number of dealers, as election.parse_election reads
 * them: "distributed" has one dealer per trustee, "dealer" exactly one (the
 * dealers' points are the server's and the verifier's to check).
 */
function checkCeremony(ceremony, dealers, trustees) {
  if (ceremony !== DISTRIBUTED && ceremony !== DEALER) {
    throw new Error('ceremony must be "distributed" or "dealer"');
  }
  expectList(dealers, 'dealers');
  if (dealers.length === 0) throw new Error('at least one dealer');
  if (dealers.length !== (ceremony === DISTRIBUTED ? trustees : 1)) {
    throw new Error(`a ${ceremony} key has ${ceremony === DISTRIBUTED ? 'one dealer per trustee'
      : 'exactly one dealer'}`);
  }
}

/**
 * M − 1, the number of published credentials: a non-empty, sorted list of
 * distinct 64-hex strings (the points themselves are checked server-side;
 * decoding thousands of them here would cost seconds).
 */
function credentialCount(list) {
  expectList(list, 'credentials');
  if (list.length === 0) throw new Error('credentials: at least one credential');
  list.forEach((x, i) => {
    if (typeof x !== 'string' || !HEX64.test(x)) throw new Error(`credential ${i}: expected hex`);
    if (i > 0 && !(list[i - 1] < x)) throw new Error('credentials must be sorted and distinct');
  });
  return list.length;
}

function parseContest(obj, i) {
  const what = `contest ${i}`;
  expectObject(obj, CONTEST_KEYS, what);
  expectStr(obj.title, `${what}.title`);
  const options = expectList(obj.options, `${what}.options`);
  if (options.length < 1 || options.length > MAX_OPTIONS) throw new Error(`${what}: 1 to 200 options`);
  const ids = options.map((opt, j) => {
    expectObject(opt, OPTION_KEYS, `${what}.option ${j}`);
    expectStr(opt.title, `${what}.option ${j}.title`);
    return expectStr(opt.id, `${what}.option ${j}.id`, 100);
  });
  if (new Set(ids).size !== ids.length) throw new Error(`${what}: option ids must be distinct`);
  const min = expectInt(obj.min, `${what}.min`, 0, ids.length);
  const max = expectInt(obj.max, `${what}.max`, Math.max(min, 1), ids.length);
  if (!ENCODINGS.includes(obj.encoding)) throw new Error(`${what}: encoding must be options or packed`);
  const id = expectStr(obj.id, `${what}.id`, 100);
  if (obj.encoding === 'packed' && ids.length > MAX_PACKED_OPTIONS) {
    throw new Error(`${what}: a packed contest has at most 4 options`);
  }
  return { id, options: ids, min, max, encoding: obj.encoding };
}

/** Every allowed set of selected option indices, in Python's itertools order. */
export function selectionSets(contest) {
  const out = [];
  for (let k = contest.min; k <= contest.max; k++) combinations(contest.options.length, k, 0, [], out);
  return out;
}

function combinations(n, k, start, prefix, out) {
  if (prefix.length === k) {
    out.push(prefix.slice());
    return;
  }
  for (let i = start; i < n; i++) {
    prefix.push(i);
    combinations(n, k, i + 1, prefix, out);
    prefix.pop();
  }
}

/** The packed value of a set of selected options: Σ radix^j (§6.3). */
export function packedValue(chosen, radix) {
  return chosen.reduce((sum, j) => sum + radix ** j, 0);
}

/** Plaintexts a packed contest may encrypt, ascending (§6.3). */
export function packedValues(contest, radix) {
  return selectionSets(contest).map((s) => packedValue(s, radix)).sort((a, b) => a - b);
}

/** Plaintexts an options contest's sum may take: [min..max] (range proof). */
export function rangeValues(contest) {
  const out = [];
  for (let v = contest.min; v <= contest.max; v++) out.push(v);
  return out;
}

function expectObject(value, keys, what) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${what}: expected an object`);
  }
  const have = Object.keys(value).sort(compareCodePoints);
  if (have.length !== keys.length || have.some((k, i) => k !== keys[i])) {
    throw new Error(`${what}: expected exactly the fields ${keys.join(', ')}`);
  }
  return value;
}

function expectList(value, what) {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list`);
  return value;
}

function expectInt(value, what, low, high) {
  if (!isJsonInt(value, low, high)) {
    throw new Error(`${what}: expected an integer in [${low}, ${high}]`);
  }
  return value;
}

/** A non-empty string of at most maxLen code points (Python's len). */
function expectStr(value, what, maxLen = 1000) {
  if (typeof value !== 'string' || value.length === 0 || [...value].length > maxLen) {
    throw new Error(`${what}: expected a non-empty string`);
  }
  return value;
}
