// Driver for tests/client/test_dkg_js.py: the key generation's trustee side
// (voting/static/src/trustee/dkg.js, envelope.js) under Node.
//
// stdin: a JSON list of requests {op, ...}; stdout: the list of answers, in
// order. A request's `seed` (hex) makes its rng the test byte stream
// (TestRng, PROTOCOL.md §12); without one it is the OS CSPRNG. Context items
// are integers (ASCII decimal) or {hex}. Scalars travel as 64 hex.
//   {op: "draw", threshold, seed}                              -> {coefficients}
//   {op: "commitment_hash", ceremony, dealer, commitments}     -> {hash}
//   {op: "commit", ceremony, dealer, coefficients, seed?}      -> {message}
//   {op: "open_coefficients", ceremony, dealer, private, sealed} -> {coefficients} | {error}
//   {op: "reveal", ceremony, dealer, coefficients, seed?}      -> {message}
//   {op: "receive", ceremony, recipient, private, reveals}     -> {share} | {error, dealer}
//   {op: "public_share", reveals, index}                       -> {public_share}
//   {op: "seal", recipient, plaintext, label, items, seed?}    -> {envelope}
//   {op: "open", private, envelope, label, items, length}      -> {plaintext} | {error}
//   {op: "ceremony", ceremony}                                 -> {ok} | {error}
//   {op: "election", election}  -> {client, verifier}: what the ballot client's
//       parseElection and the verifier's parseSetup say ("ok" or the message)
// Expected refusals come back as {error: <class name>}.

import { readFileSync } from 'node:fs';

import { TestRng } from '../../voting/static/src/drbg.js';
import { parseElection } from '../../voting/static/src/election.js';
import { bytesToBigIntLE, toHex } from '../../voting/static/src/encoding.js';
import { osRng, pointHex, scalarHex } from '../../voting/static/src/group.js';
import {
  Complaint, ceremonyFromJson, commitMessage, commitmentHash, drawCoefficients, openCoefficients,
  publicShareFromReveals, receiveShares, revealMessage,
} from '../../voting/static/src/trustee/dkg.js';
import {
  CannotOpen, InvalidEnvelope, hexToBytes, openSealed, seal,
} from '../../voting/static/src/trustee/envelope.js';
import { parseSetup } from '../../voting/static/src/verifier/manifest.js';

const rngOf = (req) => (req.seed === undefined ? osRng : new TestRng(hexToBytes(req.seed)).rng);
const scalars = (list) => list.map((hex) => bytesToBigIntLE(hexToBytes(hex, 'scalar', 32)));
const items = (list) => list.map((item) => (typeof item === 'number' ? item : hexToBytes(item.hex)));

const OPS = {
  draw: (req) => ({ coefficients: drawCoefficients(req.threshold, rngOf(req)).map(scalarHex) }),
  commitment_hash: (req) => ({ hash: toHex(commitmentHash(ceremonyFromJson(req.ceremony), req.dealer,
    req.commitments.map((hex) => hexToBytes(hex, 'commitment', 32)))) }),
  commit: (req) => ({ message: commitMessage(ceremonyFromJson(req.ceremony), req.dealer,
    scalars(req.coefficients), rngOf(req)) }),
  open_coefficients: (req) => ({ coefficients: openCoefficients(ceremonyFromJson(req.ceremony),
    req.dealer, hexToBytes(req.private, 'private key', 32), req.sealed).map(scalarHex) }),
  reveal: (req) => ({ message: revealMessage(ceremonyFromJson(req.ceremony), req.dealer,
    scalars(req.coefficients), rngOf(req)) }),
  receive: (req) => ({ share: scalarHex(receiveShares(ceremonyFromJson(req.ceremony), req.recipient,
    hexToBytes(req.private, 'private key', 32), req.reveals)) }),
  public_share: (req) => ({ public_share: pointHex(publicShareFromReveals(req.reveals, req.index)) }),
  seal: (req) => ({ envelope: seal(hexToBytes(req.recipient, 'recipient', 32), hexToBytes(req.plaintext),
    req.label, items(req.items), rngOf(req)) }),
  open: (req) => ({ plaintext: toHex(openSealed(hexToBytes(req.private, 'private key', 32), req.envelope,
    req.label, items(req.items), req.length)) }),
  election: (req) => {
    let client = 'ok';
    try {
      parseElection(req.election);
    } catch (err) {
      client = err.message;
    }
    const [parsed, problems] = parseSetup(req.election);
    return { client, verifier: parsed ? 'ok' : problems };
  },
  ceremony: (req) => {
    const c = ceremonyFromJson(req.ceremony);
    return { ok: [c.conferenceId, c.attempt, c.threshold, c.enrolmentKeys.map(toHex)] };
  },
};

function answer(req) {
  try {
    return OPS[req.op](req);
  } catch (err) {
    if (err instanceof Complaint) return { error: err.name, dealer: err.dealer, message: err.message };
    if (err instanceof CannotOpen || err instanceof InvalidEnvelope) return { error: err.name };
    if (req.op === 'ceremony') return { error: 'Error', message: err.message };
    throw err;
  }
}

process.stdout.write(JSON.stringify(JSON.parse(readFileSync(0, 'utf8')).map(answer)));
