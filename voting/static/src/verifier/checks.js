// The election-record verifier: the 19 numbered checks of PROTOCOL.md §14,
// one function each, over one streaming scan (scan.js), with the semantics
// of voting/crypto/verifier.py. A check returns its failures and passes
// only when it was evaluated and found none; a check whose inputs are
// missing, malformed or unreadable fails with "not evaluated: …".
//
//   const report = await verifyRecord(readRecordZip(zipBytes));
//   report.checks[n]  -> failure strings (empty: passed)
//
// Streaming: `const scan = new Scan(checker)`, set `scan.container`
// (containerProblems(names)) and `scan.signatureJson`, feed the board with
// `scan.line(i, bytes)` as it arrives (without the newlines; set
// `scan.newlineMissing` for a last line without one), then
// `checkScan(await scan.finish())`. A checker verifies ballot batches:
// LocalChecker in this thread, or one that posts them to workers (the
// Node CLI's node-pool.js; a browser would use Web Workers running
// batch.js's checkBatch).

import { AuditError, checkParsedAudit } from '../audit.js';
import { canonicalJson, hexBytes32, toHex, u64 } from '../encoding.js';
import { hash32 } from '../hashing.js';
import { verifyEd25519 } from '../signature.js';
import { VerifyError, expectHex64, expectInt, expectObject, parsePoint } from './codec.js';
import { closeBases } from './events.js';
import { isCanonical, readJson } from './json.js';
import { fingerprint, parseElection } from './manifest.js';
import { jointPublicKey, publicShare, verifyDealings } from './proofs.js';
import { evaluate } from './rules.js';
import { combine, parsePartial, parseTally, verifyPartial } from './tally.js';
import { LocalChecker, Scan, containerProblems, scanRecord } from './scan.js';
import { checkBatch, loadElection, tallyHex } from './batch.js';
import { readRecordZip } from './zip.js';

export { LocalChecker, Scan, checkBatch, containerProblems, loadElection, readRecordZip, scanRecord };

/** Allowed successors of each event type (§9.2). */
const NEXT = {
  null: ['setup'], setup: ['open'], open: ['ballot', 'revoke', 'audit', 'close'],
  ballot: ['ballot', 'revoke', 'audit', 'close'], revoke: ['ballot', 'revoke', 'audit', 'close'],
  audit: ['ballot', 'revoke', 'audit', 'close'],
  close: ['tally'], tally: ['partial', 'result'], partial: ['partial', 'result'], result: [],
};
export const MAX_DETAILS = 5;
const SIGNATURE_HEX = /^[0-9a-f]{128}$/;

class NotEvaluated extends Error {}

function board(scan) {
  if (scan.unreadable !== null || scan.signatureJson === null) {
    throw new NotEvaluated("the record's members cannot be read");
  }
  for (const line of scan.lines) {
    if (line.type === null) throw new NotEvaluated(`event ${line.index} is unreadable (check 1)`);
  }
}

function electionOf(scan) {
  board(scan);
  if (!scan.election) throw new NotEvaluated('no valid election object (checks 4–7)');
  return scan.election;
}

function setupOf(scan) {
  board(scan);
  if (!scan.setup) throw new NotEvaluated('event 0 is not a readable setup event');
  return scan.setup;
}

/** signature.json, canonical, with exactly its three typed fields (§13). */
function signatureObject(scan) {
  let obj;
  try {
    obj = readJson(scan.signatureJson);
  } catch (err) {
    throw new VerifyError(`signature.json: ${err.message}`);
  }
  expectObject(obj, ['head', 'events', 'signature'], 'signature.json');
  expectHex64(obj.head, 'signature.json head');
  expectInt(obj.events, 'signature.json: events', 0, 2 ** 53);
  if (typeof obj.signature !== 'string' || !SIGNATURE_HEX.test(obj.signature)) {
    throw new VerifyError('signature.json: signature must be 128 lowercase hex characters');
  }
  if (!isCanonical(obj, scan.signatureJson)) {
    throw new VerifyError('signature.json is not in canonical JSON');
  }
  return obj;
}

/** What several checks derive from the scan, computed on demand (verifier.Verification). */
class Verification {
  /**
   * `serverKey`: the key the auditor expects (--server-key, §13), 64 lowercase hex, or null;
   * `clientHash`: the ballot client's SHA-256 they rebuilt (--client-hash, §5.3), or null.
   */
  constructor(scan, serverKey = null, clientHash = null) {
    this.scan = scan;
    this.serverKey = serverKey;
    this.clientHash = clientHash;
    this.cast = scan.ballots.filter((b) => b.beforeClose).length;
  }

  /** The tally event's ciphertexts, decoded with §2.2 validation (checks 16, 17). */
  publishedTally() {
    const election = electionOf(this.scan);
    const found = this.scan.first('tally');
    if (!found) throw new NotEvaluated('no readable tally event');
    try {
      return parseTally(election, found[2].ciphertexts);
    } catch (err) {
      throw new NotEvaluated(`the tally event cannot be decoded: ${err.message}`);
    }
  }

  /** [trustee -> rows of its first valid partial decryption, problems of the others]. */
  partials() {
    if (this.partialsCache) return this.partialsCache;
    const election = electionOf(this.scan);
    const partials = this.scan.all('partial');
    if (partials.length && this.cast === 0) {
      return [new Map(), ['a round without ballots has no partial decryptions']];
    }
    if (!partials.length) return [new Map(), []];
    const tally = this.publishedTally();
    const valid = new Map();
    const problems = [];
    const seen = new Set();
    for (const [index, , body] of partials) {
      try {
        const [trustee, rows] = parsePartial(election, body);
        if (seen.has(trustee)) throw new VerifyError(`trustee ${trustee} decrypted twice`);
        seen.add(trustee);
        verifyPartial(election, tally, trustee, rows);
        valid.set(trustee, rows);
      } catch (err) {
        if (!(err instanceof VerifyError)) throw err;
        problems.push(`event ${index}: ${err.message}`);
      }
    }
    this.partialsCache = [valid, problems];
    return this.partialsCache;
  }
}

// --- the checks ---------------------------------------------------------------

/** §14.1: the two members; every line readable, canonical, with §9.3's shapes. */
function check1(v) {
  const scan = v.scan;
  if (scan.unreadable !== null) return [scan.unreadable];
  const failures = [...scan.container];
  if (scan.signatureJson !== null) {
    try {
      signatureObject(scan);
    } catch (err) {
      failures.push(err.message);
    }
  }
  if (scan.signatureJson !== null && !scan.lines.length) failures.push('board.jsonl holds no events');
  if (scan.newlineMissing) failures.push('board.jsonl does not end with a newline');
  for (const ln of scan.lines) for (const p of ln.problems) failures.push(`event ${ln.index}: ${p}`);
  return failures;
}

/** §14.2: seq from 0, parents chain the lines' hashes, §9.2's order, ends with result. */
function check2(v) {
  const scan = v.scan;
  board(scan);
  const failures = [];
  let previous = null;
  let parent = '00'.repeat(32);
  for (const line of scan.lines) {
    if (line.seq !== line.index || line.parent !== parent) {
      failures.push(`event ${line.index}: does not link to its predecessor`);
    }
    if (!NEXT[previous].includes(line.type)) {
      failures.push(`event ${line.index}: '${line.type}' cannot follow '${previous}'`);
    }
    previous = line.type;
    parent = line.hash;
  }
  const final = v.final ?? 'result'; // before-decrypt.js: a board cut after its tally
  if (previous !== final) failures.push(`the board does not end with a ${final}`);
  return failures;
}

/** §14.3: signature.json names the head and count; Ed25519 (§13) under server_key. */
function check3(v) {
  const scan = v.scan;
  const setup = setupOf(scan);
  let obj;
  try {
    obj = signatureObject(scan);
  } catch (err) {
    throw new NotEvaluated(`signature.json is malformed: ${err.message}`);
  }
  if (obj.head !== scan.head || obj.events !== scan.lines.length) {
    return ['signature names another head or event count'];
  }
  const election = setup.election;
  let key;
  try {
    key = parsePoint(election.server_key, 'server key').toBytes();
  } catch (err) {
    return [err.message];
  }
  const failures = [];
  if (v.serverKey !== null && toHex(key) !== v.serverKey) {
    failures.push(`the record is signed by server key ${toHex(key)}, not by the expected ${v.serverKey}`);
  }
  const digest = hash32('record', fingerprint(election), hexBytes32(scan.head), u64(scan.lines.length));
  const signature = Uint8Array.from(obj.signature.match(/../g).map((h) => parseInt(h, 16)));
  if (!verifyEd25519(key, digest, signature)) failures.push('Ed25519 signature does not verify');
  return failures;
}

/** §14.4: the setup's fingerprint is recomputed from its election object. */
function check4(v) {
  const setup = setupOf(v.scan);
  const failures = [];
  if (setup.fingerprint !== toHex(fingerprint(setup.election))) {
    failures.push('recorded fingerprint differs from the recomputed one');
  }
  const named = setup.election.ballot_client;
  if (v.clientHash !== null && named !== v.clientHash) {
    failures.push(`the election names ballot client ${named}, not the expected ${v.clientHash}`);
  }
  return failures;
}

/** §14.5: the manifest satisfies §5.1 and §5.2. */
function check5(v) {
  setupOf(v.scan);
  const problem = v.scan.electionProblems[5];
  return problem ? [problem] : [];
}

/** §14.6: well-formed election; coefficient proofs; K and K_i from the commitments. */
function check6(v) {
  const scan = v.scan;
  setupOf(scan);
  if (5 in scan.electionProblems || 7 in scan.electionProblems) {
    throw new NotEvaluated('the manifest or the credentials are invalid (check 5 or 7)');
  }
  if (6 in scan.electionProblems) return [scan.electionProblems[6]];
  const election = scan.election;
  const failures = [];
  try {
    verifyDealings(election.dealings);
  } catch (err) {
    failures.push(err.message);
  }
  if (!jointPublicKey(election.dealings).equals(election.publicKey)) {
    failures.push("public key is not the sum of the dealers' constant commitments");
  }
  for (const t of election.trustees) {
    if (!publicShare(election.dealings, t.index).equals(t.publicShare)) {
      failures.push(`public share of trustee ${t.index} does not match`);
    }
  }
  return failures;
}

/** §14.7: credentials valid, sorted, distinct; packed contests fit (§6.3). */
function check7(v) {
  const scan = v.scan;
  setupOf(scan);
  if (5 in scan.electionProblems) throw new NotEvaluated('the manifest is invalid (check 5)');
  const problem = scan.electionProblems[7];
  return problem ? [problem] : [];
}

const perBallot = (attribute) => (v) => {
  electionOf(v.scan);
  return v.scan.ballots.filter((b) => b[attribute] !== null)
    .map((b) => `event ${b.index}: ${b[attribute]}`);
};

/** §14.11: published, unrevoked credentials, one ballot each; no α twice. */
function check11(v) {
  const election = electionOf(v.scan);
  const failures = [];
  const items = [...v.scan.ballots.map((b) => [b.index, 'ballot', b]),
    ...v.scan.all('revoke').map(([index, , body]) => [index, 'revoke', body])]
    .sort((a, b) => a[0] - b[0]);
  const used = new Set();
  const revoked = new Set();
  const alphas = new Set();
  for (const [index, kind, item] of items) {
    let credential;
    if (kind === 'ballot') {
      credential = item.credential;
      if (item.alphas === null) {
        failures.push(`event ${index}: not evaluated: its ciphertexts are unreadable`);
      } else {
        if (new Set(item.alphas).size !== item.alphas.length || item.alphas.some((a) => alphas.has(a))) {
          failures.push(`event ${index}: a ciphertext repeats an α on the board`);
        }
        for (const a of item.alphas) alphas.add(a);
      }
    } else {
      try {
        parsePoint(item.credential);
        credential = item.credential;
      } catch {
        credential = null;
      }
    }
    if (credential === null) {
      failures.push(`event ${index}: not evaluated: the credential is not valid`);
    } else if (!election.credentials.has(credential)) {
      failures.push(`event ${index}: credential is not published`);
    } else if (revoked.has(credential)) {
      failures.push(`event ${index}: credential was revoked before`);
    } else if (kind === 'revoke') {
      if (used.has(credential)) failures.push(`event ${index}: revokes a credential that has voted`);
      revoked.add(credential);
    } else if (used.has(credential)) {
      failures.push(`event ${index}: second ballot from one credential`);
    } else {
      used.add(credential);
    }
  }
  return failures;
}

function closeOf(v) {
  const found = v.scan.first('close');
  if (!found) throw new NotEvaluated('no readable close event');
  return closeBases(found[2]);
}

/** §14.14: cast ≤ issued ≤ present ≤ members; cast = ballots before close ≤ credentials. */
function check14(v) {
  const election = electionOf(v.scan);
  const bases = closeOf(v);
  const failures = [];
  if (bases.cast !== v.cast) failures.push(`cast is ${bases.cast} but ${v.cast} ballots precede the close`);
  if (!(bases.cast <= bases.issued && bases.issued <= bases.present && bases.present <= bases.members)) {
    failures.push('the bases must satisfy cast <= issued <= present <= members');
  }
  if (bases.cast > election.credentialList.length) failures.push('more ballots than published credentials');
  return failures;
}

/** §14.15: the tally event is the sum of every ballot before close (§11.1). */
function check15(v) {
  const scan = v.scan;
  electionOf(scan);
  const found = scan.first('tally');
  if (!found) throw new NotEvaluated('no readable tally event');
  const unreadable = scan.ballots.filter((b) => b.beforeClose && b.alphas === null);
  if (unreadable.length) {
    throw new NotEvaluated(`the ciphertexts of event ${unreadable[0].index} are unreadable`);
  }
  return canonicalJson(tallyHex(scan.ballotSum)) !== canonicalJson(found[2].ciphertexts)
    ? ['recorded tally is not the sum of the ballots'] : [];
}

/** §14.16: partial decryptions from known trustees, once each, with valid proofs. */
function check16(v) {
  electionOf(v.scan);
  return v.partials()[1];
}

/** §14.17: a sorted set of ≥ t valid trustees combines to the published counts. */
function check17(v) {
  const election = electionOf(v.scan);
  const found = v.scan.first('result');
  if (!found) throw new NotEvaluated('no readable result event');
  const body = found[2];
  const named = body.trustees;
  let counts;
  if (v.cast === 0) {
    counts = election.manifest.contests.map((c) => c.options.map(() => 0));
    if (named.length) return ['a round without ballots names no trustees'];
  } else {
    const valid = v.partials()[0];
    const sorted = named.every((x, i) => i === 0 || named[i - 1] < x);
    if (!sorted || named.length < election.threshold || named.some((i) => !valid.has(i))) {
      return ['the result must name a sorted set of at least t trustees with valid '
        + 'partial decryptions'];
    }
    try {
      counts = combine(election, v.publishedTally(), new Map(named.map((i) => [i, valid.get(i)])),
        v.cast);
    } catch (err) {
      if (!(err instanceof VerifyError)) throw err;
      return [err.message];
    }
  }
  return canonicalJson(counts) !== canonicalJson(body.counts)
    ? ['published counts differ from the decrypted tally'] : [];
}

/** §14.18: the rules (§10) on the published counts and the bases give the outcomes. */
function check18(v) {
  const election = electionOf(v.scan);
  const found = v.scan.first('result');
  if (!found) throw new NotEvaluated('no readable result event');
  const bases = closeOf(v);
  const body = found[2];
  const shape = election.manifest.contests.map((c) => c.options.length);
  if (body.counts.length !== shape.length || body.counts.some((row, i) => row.length !== shape[i])) {
    throw new NotEvaluated("the published counts do not have the manifest's shape");
  }
  const outcomes = evaluate(election.manifest, body.counts, bases);
  return outcomes === null || canonicalJson(outcomes) !== canonicalJson(body.outcomes)
    ? ['recorded outcomes differ from the rules applied to the counts'] : [];
}

/**
 * §14.19: every audit event (§8.6) re-encrypts to its own ciphertexts: this
 * round and fingerprint, the manifest's shape, valid points and non-zero
 * scalars, allowed choices (audit.js, as the phone and the check page run
 * it). A board without audits passes.
 */
function check19(v) {
  const election = electionOf(v.scan);
  const audits = v.scan.all('audit');
  if (!audits.length) return [];
  const audited = {
    roundId: election.manifest.roundId, fingerprint: election.fingerprint,
    contests: election.manifest.contests, radix: election.radix, key: { point: election.key },
  };
  const failures = [];
  for (const [index, , body] of audits) {
    try {
      checkParsedAudit(audited, body);
    } catch (err) {
      if (!(err instanceof AuditError)) throw err;
      failures.push(`event ${index}: ${err.message}`);
    }
  }
  return failures;
}

/** The checks of §14: number -> [title, function]. Titles as voting-verify prints them. */
export const CHECKS = {
  1: ['Record format: exactly two members, canonical JSON, well-formed events', check1],
  2: ['Board chain: consecutive events, each linking its parent\'s hash, in the allowed order', check2],
  3: ["Record signature: the server's Ed25519 signature over fingerprint and head", check3],
  4: ['Fingerprint: recomputed from the election object', check4],
  5: ['Manifest: contests, options, encodings and rules well-formed', check5],
  6: ['Trustee keys: coefficient proofs; joint key and public shares follow from commitments', check6],
  7: ['Credentials: valid group elements, sorted and distinct', check7],
  8: ['Ballot format: this round and fingerprint, manifest\'s shape, valid points', perBallot('format')],
  9: ['Ballot signatures: each ballot signed by its credential', perBallot('signature')],
  10: ["Trackers: each ballot's tracker is the hash of its bytes", perBallot('tracker')],
  11: ['Eligibility: published, unrevoked credentials, one ballot each, no repeated α', check11],
  12: ['Selection proofs: each selection is 0 or 1, each packed contest an allowed value',
    perBallot('selections')],
  13: ["Range proofs: each contest's number of selections lies in [min, max]", perBallot('ranges')],
  14: ['Close: cast <= issued <= present <= members, cast = the ballots before close', check14],
  15: ['Encrypted tally: the homomorphic sum of all ballots', check15],
  16: ['Partial decryptions: distinct known trustees, every proof valid', check16],
  17: ['Counts: t partial decryptions combine to the published counts', check17],
  18: ['Rule outcomes: recomputed with exact fractions from counts and bases', check18],
  19: ["Audited encryptions: revealed choices and randomness reproduce each audit's ciphertexts",
    check19],
};

/**
 * Run the chosen checks (numbers) on a finished scan: number -> failures.
 * `final` is the event type check 2 requires the board to end with.
 */
export function runChecks(scan, numbers, { final = 'result' } = {}) {
  const v = new Verification(scan);
  v.final = final;
  const checks = {};
  for (const n of numbers) {
    try {
      checks[n] = CHECKS[n][1](v);
    } catch (err) {
      if (!(err instanceof NotEvaluated)) throw err;
      checks[n] = [`not evaluated: ${err.message}`];
    }
  }
  return checks;
}

/**
 * Run every check on a finished scan: {checks, ballots, counts, contests, ok}.
 * `serverKey` (64 lowercase hex): check 3 fails if the record names another key.
 */
export function checkScan(scan, { serverKey = null, clientHash = null } = {}) {
  const v = new Verification(scan, serverKey, clientHash);
  const checks = {};
  for (const [n, [, check]] of Object.entries(CHECKS)) {
    try {
      checks[n] = check(v);
    } catch (err) {
      if (!(err instanceof NotEvaluated)) throw err;
      checks[n] = [`not evaluated: ${err.message}`];
    }
  }
  const ok = Object.values(checks).every((f) => f.length === 0);
  const report = { checks, ballots: scan.ballots.length, counts: null, contests: [], key: null,
    ballotClient: null, outcomes: null, ruleBases: [], ok };
  if (!checks[6].length) {
    const e = scan.election;
    report.key = [e.ceremony, e.dealings.length, e.threshold, e.trustees.length];
    report.ballotClient = e.ballotClient;
  }
  if (!checks[17].length) {
    report.counts = scan.first('result')[2].counts;
    report.contests = scan.election.manifest.contests.map((c) => [c.id, c.options]);
    if (!checks[18].length) { // outcomes of verified counts only
      report.outcomes = scan.first('result')[2].outcomes;
      report.ruleBases = scan.election.manifest.rules.map((r) => r.base);
    }
  }
  return report;
}

/**
 * Verify a record (§14): `names` are the zip's member names (all of them,
 * duplicates included), `board` and `signature` the bytes of board.jsonl
 * and signature.json, `unreadable` why the zip could not be read.
 */
export async function verifyRecord(record, checker = new LocalChecker(), options = {}) {
  return checkScan(await scanRecord(record, checker), options);
}

/** The report as voting-verify prints it: `[ n] PASS|FAIL  title` and details. */
export function reportLines(report) {
  const out = [];
  for (const [n, [title]] of Object.entries(CHECKS)) {
    const errors = report.checks[n];
    out.push(`[${String(n).padStart(2)}] ${errors.length ? 'FAIL' : 'PASS'}  ${title}`);
    for (const m of errors.slice(0, MAX_DETAILS)) out.push(`       - ${m}`);
    if (errors.length > MAX_DETAILS) out.push(`       - ... and ${errors.length - MAX_DETAILS} more`);
  }
  return out;
}

/** Which ceremony made the key, in words, as voting-verify prints it (null if check 6 failed). */
export function keyLine(report) {
  if (!report.key) return null;
  const [ceremony, dealers, t, n] = report.key;
  const how = ceremony === 'distributed'
    ? `distributed generation, ${dealers} dealers (one per trustee)` : 'one offline dealer';
  return `Key: ${how}; any ${t} of ${n} trustees decrypt`;
}

/** The verified counts, one contest a line (empty if check 17 failed). */
export function countLines(report) {
  if (!report.counts) return [];
  return report.contests.map(([cid, options], i) => `  ${cid}: `
    + options.map((o, j) => `${o} ${report.counts[i][j]}`).join(', '));
}

/**
 * The verified outcomes, one candidate a line, as voting-verify prints them:
 * `rule r, candidate: count of base <base>, status` (empty unless checks 17
 * and 18 passed). A candidate is its contest or `contest/option`.
 */
export function outcomeLines(report) {
  if (!report.outcomes) return [];
  return report.outcomes.flatMap((rule, r) => rule.map((o) => {
    const [cid, options] = report.contests[o.contest];
    const who = o.option === null ? cid : `${cid}/${options[o.option]}`;
    return `  rule ${r + 1}, ${who}: ${o.count} of ${o.base} ${report.ruleBases[r]}, ${o.status}`;
  }));
}

export { parseElection };
