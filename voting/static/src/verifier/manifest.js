// The manifest and the election object as the verifier reads them
// (PROTOCOL.md §5.1, §5.2, §5.3), mirroring voting/crypto/manifest.py and
// election.py line by line: code-point lengths, NFC ids, exact keys, and
// every point validated (§2.2). election.js (the ballot client's reader)
// checks less, so the verifier has its own.

import { canonicalJson, utf8 } from '../encoding.js';
import { hash32 } from '../hashing.js';
import {
  VerifyError, expectInt, expectList, expectObject, expectStr, parsePoint, parseScalar,
} from './codec.js';

const ENCODINGS = ['options', 'packed'];
const BASES = ['members', 'present', 'issued', 'cast', 'valid'];
const COMPARATORS = ['>', '>='];
const PACKED_LIMIT = 2 ** 32;
const MAX_CONTESTS = 200;
const MAX_OPTIONS = 200;
const MAX_TRUSTEES = 32;
const ELECTION_KEYS = ['manifest', 'ceremony', 'public_key', 'threshold', 'trustees', 'dealers',
  'credentials', 'server_key', 'ballot_client'];
/** The ceremonies that can make a key (§4.1, election.CEREMONIES). */
const DISTRIBUTED = 'distributed';
const DEALER = 'dealer';

const oneOf = (value, list) => typeof value === 'string' && list.includes(value);

/** A contest (§5.1) with its derived value lists (§6.2, §6.3). */
export class Contest {
  constructor(id, options, min, max, encoding) {
    Object.assign(this, { id, options, min, max, encoding });
  }

  /** Every allowed set of selected option indices, in itertools order. */
  selectionSets() {
    const out = [];
    const rec = (k, start, prefix) => {
      if (prefix.length === k) { out.push(prefix.slice()); return; }
      for (let i = start; i < this.options.length; i++) {
        prefix.push(i); rec(k, i + 1, prefix); prefix.pop();
      }
    };
    for (let k = this.min; k <= this.max; k++) rec(k, 0, []);
    return out;
  }

  /** The packed contest's allowed plaintexts, ascending (§6.3). */
  packedValues(radix) {
    return this.selectionSets().map((s) => s.reduce((sum, j) => sum + radix ** j, 0))
      .sort((a, b) => a - b);
  }

  tallyEntries() {
    return this.encoding === 'packed' ? 1 : this.options.length;
  }
}

/** An id: non-empty, at most maxLen code points, in NFC (§5.1). */
function expectId(value, what, maxLen = 100) {
  expectStr(value, what, maxLen);
  if (value.normalize('NFC') !== value) {
    throw new VerifyError(`${what}: an id must be in Unicode normalisation form C`);
  }
  return value;
}

/** Validate a manifest (§5.1, §5.2); throws VerifyError. */
export function parseManifest(obj) {
  expectObject(obj, ['version', 'conference', 'round', 'title', 'contests', 'rules'], 'manifest');
  if (obj.version !== 1) throw new VerifyError('manifest: unsupported version');
  expectStr(obj.conference, 'manifest.conference');
  expectStr(obj.title, 'manifest.title');
  const roundId = expectId(obj.round, 'manifest.round', 200);
  const items = expectList(obj.contests, 'manifest.contests');
  if (!(items.length > 0 && items.length <= MAX_CONTESTS)) {
    throw new VerifyError('manifest: 1 to 200 contests');
  }
  const contests = items.map(parseContest);
  if (new Set(contests.map((c) => c.id)).size !== contests.length) {
    throw new VerifyError('manifest: contest ids must be distinct');
  }
  const rules = expectList(obj.rules, 'manifest.rules').map((r, k) => parseRule(r, contests, k));
  const covered = rules.flatMap((r) => r.contests);
  if (new Set(covered).size !== covered.length) {
    throw new VerifyError('manifest: a contest belongs to at most one rule');
  }
  return { raw: obj, roundId, contests, rules };
}

function parseContest(obj, i) {
  const what = `contest ${i}`;
  expectObject(obj, ['id', 'title', 'options', 'min', 'max', 'encoding'], what);
  expectStr(obj.title, `${what}.title`);
  const options = expectList(obj.options, `${what}.options`);
  if (!(options.length > 0 && options.length <= MAX_OPTIONS)) {
    throw new VerifyError(`${what}: 1 to 200 options`);
  }
  const ids = options.map((opt, j) => {
    expectObject(opt, ['id', 'title'], `${what}.option ${j}`);
    expectStr(opt.title, `${what}.option ${j}.title`);
    return expectId(opt.id, `${what}.option ${j}.id`);
  });
  if (new Set(ids).size !== ids.length) throw new VerifyError(`${what}: option ids must be distinct`);
  const low = expectInt(obj.min, `${what}.min`, 0, ids.length);
  const high = expectInt(obj.max, `${what}.max`, Math.max(low, 1), ids.length);
  if (!oneOf(obj.encoding, ENCODINGS)) throw new VerifyError(`${what}: encoding must be options or packed`);
  const contest = new Contest(expectId(obj.id, `${what}.id`), ids, low, high, obj.encoding);
  if (contest.encoding === 'packed' && ids.length > 4) {
    throw new VerifyError(`${what}: a packed contest has at most 4 options`);
  }
  return contest;
}

function parseRule(obj, contests, k) {
  const what = `rule ${k}`;
  expectObject(obj, ['contests', 'option', 'comparator', 'fraction', 'base', 'quota', 'ties'], what);
  const ids = contests.map((c) => c.id);
  const names = expectList(obj.contests, `${what}.contests`);
  if (!names.length || names.some((n) => typeof n !== 'string' || !ids.includes(n))
      || new Set(names).size !== names.length) {
    throw new VerifyError(`${what}: contests must be distinct ids of this manifest`);
  }
  const indices = names.map((n) => ids.indexOf(n));
  const covered = indices.map((i) => contests[i]);
  const option = obj.option;
  if (option !== null) {
    expectStr(option, `${what}.option`);
    if (covered.some((c) => !c.options.includes(option))) {
      throw new VerifyError(`${what}: option must be an option of each of its contests`);
    }
  }
  if (!oneOf(obj.comparator, COMPARATORS)) throw new VerifyError(`${what}: comparator must be '>' or '>='`);
  const fraction = expectList(obj.fraction, `${what}.fraction`, 2);
  const num = expectInt(fraction[0], `${what}: fraction numerator`, 0, 10 ** 6);
  const den = expectInt(fraction[1], `${what}: fraction denominator`, 1, 10 ** 6);
  if (num > den) throw new VerifyError(`${what}: fraction must be at most 1`);
  if (!oneOf(obj.base, BASES)) throw new VerifyError(`${what}: base must be one of ${BASES}`);
  if (obj.base === 'valid' && covered.some((c) => c.max !== 1)) {
    throw new VerifyError(`${what}: base 'valid' needs contests with max = 1`);
  }
  if (obj.quota !== null) expectInt(obj.quota, `${what}.quota`, 1, 10 ** 4);
  if (obj.ties !== 'runoff') throw new VerifyError(`${what}: ties must be 'runoff'`);
  return { contests: indices, option, comparator: obj.comparator, num, den, base: obj.base,
    quota: obj.quota };
}

/** H32("fingerprint", canonical JSON of the election object) (§5.3). */
export function fingerprint(electionObj) {
  return hash32('fingerprint', utf8(canonicalJson(electionObj)));
}

/** Credentials (§5.3, check 7): valid points, sorted, distinct; packed contests fit (§6.3). */
export function parseCredentials(obj, manifest) {
  const list = expectList(obj, 'credentials');
  list.forEach((x, i) => parsePoint(x, `credential ${i}`));
  if (!list.length) throw new VerifyError('at least one credential');
  for (let i = 1; i < list.length; i++) {
    if (!(list[i - 1] < list[i])) throw new VerifyError('credentials must be sorted and distinct');
  }
  const radix = list.length + 1;
  for (const c of manifest.contests) {
    if (c.encoding === 'packed' && radix ** c.options.length >= PACKED_LIMIT) {
      throw new VerifyError(`contest ${c.id}: too many credentials to pack`);
    }
  }
  return list;
}

/** Dealers (§4.1, §5.3): t commitments (valid points) and t proofs each. */
function parseDealings(obj, threshold) {
  const out = expectList(obj, 'dealers').map((dealer, d) => {
    expectObject(dealer, ['commitments', 'proofs'], `dealer ${d}`);
    const commitments = expectList(dealer.commitments, `dealer ${d}.commitments`, threshold)
      .map((c) => parsePoint(c, `dealer ${d} commitment`));
    const proofs = expectList(dealer.proofs, `dealer ${d}.proofs`, threshold).map((p) => {
      expectObject(p, ['c', 'u'], `dealer ${d} proof`);
      return [parseScalar(p.c), parseScalar(p.u)];
    });
    return { commitments, proofs };
  });
  if (!out.length) throw new VerifyError('at least one dealer');
  return out;
}

/** The election object (§5.3), every point validated; throws VerifyError. */
export function parseElection(obj) {
  expectObject(obj, ELECTION_KEYS, 'election');
  const manifest = parseManifest(obj.manifest);
  const threshold = expectInt(obj.threshold, 'threshold', 1, MAX_TRUSTEES);
  const trustees = expectList(obj.trustees, 'trustees').map((t, i) => {
    expectObject(t, ['index', 'name', 'public_share'], `trustee ${i}`);
    return { index: expectInt(t.index, 'trustee index', i + 1, i + 1),
      name: expectStr(t.name, 'trustee name', 200),
      publicShare: parsePoint(t.public_share, 'public share') };
  });
  if (!(threshold <= trustees.length && trustees.length <= MAX_TRUSTEES)) {
    throw new VerifyError('need threshold <= trustees <= 32');
  }
  const ceremony = obj.ceremony;
  if (ceremony !== DISTRIBUTED && ceremony !== DEALER) {
    throw new VerifyError('ceremony must be "distributed" or "dealer"');
  }
  const dealings = parseDealings(obj.dealers, threshold);
  if (dealings.length !== (ceremony === DISTRIBUTED ? trustees.length : 1)) {
    throw new VerifyError(`a ${ceremony} key has `
      + (ceremony === DISTRIBUTED ? 'one dealer per trustee' : 'exactly one dealer'));
  }
  const credentialList = parseCredentials(obj.credentials, manifest);
  const ballotClient = obj.ballot_client;
  if (typeof ballotClient !== 'string' || !/^[0-9a-f]{64}$/.test(ballotClient)) {
    throw new VerifyError('ballot_client must be a SHA-256 in 64 lowercase hex digits');
  }
  const publicKey = parsePoint(obj.public_key, 'public key');
  const serverKey = parsePoint(obj.server_key, 'server key');
  return {
    raw: obj, fingerprint: fingerprint(obj), manifest, ceremony, publicKey, publicKeyHex: obj.public_key,
    threshold, trustees, dealings, credentials: new Set(credentialList), credentialList,
    serverKey, ballotClient, radix: credentialList.length + 1,
  };
}

/** Parse as checks 5, 7 and 6 read it, in that order (scan.parse_setup). */
export function parseSetup(electionObj) {
  let manifest;
  try {
    manifest = parseManifest(electionObj.manifest);
  } catch (err) {
    return [null, { 5: err.message }];
  }
  try {
    parseCredentials(electionObj.credentials, manifest);
  } catch (err) {
    return [null, { 7: err.message }];
  }
  try {
    return [parseElection(electionObj), {}];
  } catch (err) {
    return [null, { 6: err.message }];
  }
}
