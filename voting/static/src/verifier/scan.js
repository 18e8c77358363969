// One streaming pass over a record (PROTOCOL.md §13, §14), mirroring
// voting/crypto/scan.py: the main thread reads every line's header, parses
// the non-ballot events in full, and hands ballot lines in batches to a
// checker (this thread, or worker threads: see pool.js); per ballot it keeps
// the verdicts, the credential and the α's, and it sums the ciphertexts of
// the ballots before the close event. Feed it lines with `line()` as they
// come (streaming-friendly; `await settle()` now and then bounds the batches
// in flight), then `await finish()`.

import { ed25519 } from '@noble/curves/ed25519';

import { toHex } from '../encoding.js';
import { hash32 } from '../hashing.js';
import {
  addRows, checkBatch, emptyTally, lineProblems, prepareElection, unreadableBallot,
} from './batch.js';
import { bodyProblem, readEvent } from './events.js';
import { parseSetup } from './manifest.js';

export const BOARD = 'board.jsonl';
export const SIGNATURE = 'signature.json';
const BATCH = 16;
/** Batches in flight before the reader waits for the checkers (bounded memory). */
const MAX_PENDING = 8;
const PREFIX = new TextEncoder().encode('{"body":{"ballot":');
const TAIL = /,"parent":"([0-9a-f]{64})","seq":(0|[1-9][0-9]{0,15}),"type":"ballot"}$/;

/** What makes the member list other than exactly the two members of §13. */
export function containerProblems(names) {
  const count = (n) => names.filter((x) => x === n).length;
  const problems = [BOARD, SIGNATURE].filter((n) => count(n) !== 1)
    .map((n) => `member '${n}' appears ${count(n)} times`);
  for (const n of new Set(names)) {
    if (n !== BOARD && n !== SIGNATURE) problems.push(`unexpected member '${n}'`);
  }
  return problems;
}

function startsWith(bytes, prefix) {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function tailText(bytes) {
  return String.fromCharCode(...bytes.subarray(Math.max(0, bytes.length - 120)));
}

/** The checker of ballot batches in this thread. */
export class LocalChecker {
  init(electionObj, election) { this.election = election; }
  submit(batch) { return checkBatch(this.election, batch); }
  close() {}
}

export class Scan {
  constructor(checker = new LocalChecker()) {
    this.checker = checker;
    this.unreadable = null;
    this.container = [];
    this.lines = [];
    this.newlineMissing = false;
    this.signatureJson = null;
    this.setup = null;
    this.election = null;
    this.electionProblems = {};
    this.ballots = [];
    this.events = [];
    this.ballotSum = null;
    this.closed = false;
    this.batch = [];
    this.pending = [];
  }

  get head() {
    return this.lines.length ? this.lines[this.lines.length - 1].hash : '00'.repeat(32);
  }

  first(kind) {
    return this.events.find((e) => e[1] === kind) ?? null;
  }

  all(kind) {
    return this.events.filter((e) => e[1] === kind);
  }

  /** One board line, without its newline. */
  line(index, line) {
    const hash = toHex(hash32('event', line));
    if (this.election && startsWith(line, PREFIX) && TAIL.test(tailText(line))) {
      this.lines.push({ index, seq: null, parent: null, type: 'ballot', hash, problems: [] });
      this.queue(index, line);
      return;
    }
    const header = { index, seq: null, parent: null, type: null, hash, problems: [] };
    this.lines.push(header);
    let event;
    try {
      event = readEvent(line);
    } catch (err) {
      header.problems.push(err.message);
      return;
    }
    Object.assign(header, { seq: event.seq, parent: event.parent, type: event.type });
    if (event.type === 'ballot' && this.election) {
      this.queue(index, line); // e.g. a non-canonical ballot line
      return;
    }
    header.problems.push(...lineProblems(event, line));
    if (event.type === 'ballot') { // no election to check it against
      this.ballots.push(unreadableBallot(index, !this.closed,
        'not evaluated: no valid election object'));
      return;
    }
    if (event.type === 'close') this.closed = true;
    if (!bodyProblem(event)) {
      this.events.push([index, event.type, event.body]);
      if (index === 0 && event.type === 'setup') this.startElection(event.body);
    }
  }

  startElection(body) {
    this.setup = body;
    const [election, problems] = parseSetup(body.election);
    this.election = election && prepareElection(election);
    this.electionProblems = problems;
    if (!this.election) return;
    this.ballotSum = emptyTally(this.election);
    this.checker.init(body.election, this.election);
  }

  queue(index, line) {
    this.batch.push([index, line, !this.closed]);
    if (this.batch.length >= BATCH) this.submit();
  }

  submit() {
    if (!this.batch.length) return;
    const batch = this.batch;
    this.batch = [];
    this.pending.push(this.checker.submit(batch));
  }

  absorb({ out, total }) {
    for (const { header, facts } of out) {
      const old = this.lines[header.index];
      this.lines[header.index] = { ...header, hash: old.hash };
      if (facts) this.ballots.push(facts);
    }
    const rows = total.map((row) => row.map((ct) => ({
      alpha: ed25519.Point.fromHex(ct.alpha), beta: ed25519.Point.fromHex(ct.beta) })));
    this.ballotSum = addRows(this.ballotSum, rows);
  }

  /** Absorb checked batches, oldest first, until at most `max` are in flight. */
  async settle(max = MAX_PENDING) {
    while (this.pending.length > max) this.absorb(await this.pending.shift());
  }

  /** Wait for every batch; returns this scan. */
  async finish() {
    this.submit();
    try {
      await this.settle(0);
    } finally {
      this.checker.close();
    }
    this.ballots.sort((a, b) => a.index - b.index);
    return this;
  }
}

/**
 * Scan a record given as its zip member names and the bytes of its two
 * members (§13); `unreadable` says why the zip itself cannot be read.
 */
export async function scanRecord({ names = [], board = null, signature = null, unreadable = null },
  checker = new LocalChecker()) {
  const scan = new Scan(checker);
  if (unreadable) {
    scan.unreadable = unreadable;
    checker.close();
    return scan;
  }
  scan.container = containerProblems(names);
  if (scan.container.some((p) => p.includes('appears'))) {
    checker.close();
    return scan;
  }
  scan.signatureJson = signature;
  await readBoardLines(scan, board);
  return scan.finish();
}

/**
 * Feed board.jsonl to `scan` line by line (a last line without its newline
 * is read and marked), keeping at most MAX_PENDING batches in flight;
 * `afterLine(count)` is awaited after each line (progress, yielding).
 */
export async function readBoardLines(scan, board, afterLine = null) {
  let pos = 0;
  let index = 0;
  while (pos < board.length) {
    const end = board.indexOf(10, pos);
    if (end < 0) {
      scan.newlineMissing = true;
      scan.line(index++, board.subarray(pos));
      break;
    }
    scan.newlineMissing = false;
    scan.line(index++, board.subarray(pos, end));
    pos = end + 1;
    if (scan.pending.length > MAX_PENDING) await scan.settle(MAX_PENDING / 2);
    if (afterLine) await afterLine(index);
  }
}
