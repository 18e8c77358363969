// What the phone accepts from the server's JSON (voting/web/api.py), read
// field by field with exact types: an integer is a number, never a boolean,
// a string or beyond ±(2^53 − 1); a flag is a boolean, never 0 or 1. Each
// open round's election object is parsed as the ballot client parses it
// (election.js) and must carry the round id and fingerprint listed with it.
// A reply that does not fit throws ResponseError: the page treats it as no
// reply at all.

import { isJsonInt, toHex } from '../encoding.js';
import { parseElection } from '../election.js';

const HEX64 = /^[0-9a-f]{64}$/;

/** The server's reply does not have the expected shape or types. */
export class ResponseError extends Error {
  constructor(what) {
    super(`unexpected reply from the server: ${what}`);
    this.name = 'ResponseError';
  }
}

function object(value, what) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ResponseError(`${what} is not an object`);
  }
  return value;
}

function text(value, what, nonEmpty = true) {
  if (typeof value !== 'string' || (nonEmpty && value.length === 0)) {
    throw new ResponseError(`${what} is not a string`);
  }
  return value;
}

function flag(value, what) {
  if (typeof value !== 'boolean') throw new ResponseError(`${what} is not true or false`);
  return value;
}

function integer(value, what, low, high) {
  if (!isJsonInt(value, low, high)) throw new ResponseError(`${what} is not an integer in range`);
  return value;
}

function hex64(value, what) {
  if (typeof value !== 'string' || !HEX64.test(value)) throw new ResponseError(`${what} is not hex`);
  return value;
}

/** A receipt {round, tracker, short_tracker, seq} (casting.Receipt.to_json). */
export function readReceipt(value) {
  object(value, 'receipt');
  text(value.round, 'receipt.round');
  hex64(value.tracker, 'receipt.tracker');
  text(value.short_tracker, 'receipt.short_tracker');
  integer(value.seq, 'receipt.seq', 0);
  return value;
}

const QR_PREFIX = 'data:image/svg+xml;base64,';

function readLinks(body) {
  text(body.board_url, 'board_url');
  text(body.qr, 'qr');
  if (!body.qr.startsWith(QR_PREFIX)) throw new ResponseError('qr is not an SVG data: URI');
}

/** GET /api/rounds/open: {rounds: [{round, title, conference, kind, election, fingerprint}]}. */
export function readOpenRounds(body) {
  object(body, 'open rounds');
  if (!Array.isArray(body.rounds)) throw new ResponseError('rounds is not a list');
  return body.rounds.map((round, i) => {
    const what = `round ${i}`;
    object(round, what);
    text(round.round, `${what}.round`);
    text(round.title, `${what}.title`, false);
    text(round.conference, `${what}.conference`, false);
    text(round.kind, `${what}.kind`);
    hex64(round.fingerprint, `${what}.fingerprint`);
    let election;
    try {
      election = parseElection(round.election);
    } catch (exc) {
      throw new ResponseError(`${what}.election: ${exc.message}`);
    }
    if (election.roundId !== round.round || toHex(election.fingerprint) !== round.fingerprint) {
      throw new ResponseError(`${what}: the election is not this round's`);
    }
    return round;
  });
}

/** POST /api/rounds/<id>/credential-status ({credential}): {round, state, known, revoked, receipt, [board_url, qr]}. */
export function readStatus(body) {
  object(body, 'credential status');
  text(body.round, 'status.round');
  text(body.state, 'status.state');
  flag(body.known, 'status.known');
  flag(body.revoked, 'status.revoked');
  if (body.receipt !== null) {
    readReceipt(body.receipt);
    readLinks(body);
  }
  return body;
}

/** A successful POST /api/rounds/<id>/ballots: {receipt, board_url, qr} (qr: the QR code as a data: URI, never fetched by tracker). */
export function readCastReply(body) {
  object(body, 'cast reply');
  readReceipt(body.receipt);
  readLinks(body);
  return body;
}

/** A successful POST /api/rounds/<id>/audits: {round, seq, code, check_url, qr}. */
export function readAuditReply(body) {
  object(body, 'audit reply');
  text(body.round, 'audit.round');
  integer(body.seq, 'audit.seq', 0);
  if (typeof body.code !== 'string' || !/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/.test(body.code)) {
    throw new ResponseError('audit.code is not an encryption code');
  }
  text(body.check_url, 'check_url');
  if (!/^https?:\/\//.test(body.check_url)) throw new ResponseError('check_url is not a web address');
  text(body.qr, 'qr');
  if (!body.qr.startsWith(QR_PREFIX)) throw new ResponseError('qr is not an SVG data: URI');
  return body;
}
