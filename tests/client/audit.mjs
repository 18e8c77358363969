// Driver for tests/client/test_audit_js.py: cast or challenge (PROTOCOL.md
// §8.6) in the browser client, voting/static/src/audit.js, under Node.
//
// stdin: a JSON list of requests {op, ...}; stdout: the list of answers, in
// order. Scalars travel as 64 hex (little-endian, §2.3); `seed` (hex) makes
// the rng the test byte stream (TestRng, §12).
//   {op: "challenge", election, choices, secret, seed}
//       -> {ballot, audit, code, encrypt_ballot}: encryptForChallenge, and
//          encryptBallot on a fresh stream of the same seed
//   {op: "check", election, body}
//       -> {choices, code, code_hex} | {error: class name, code, message}
//   {op: "code", ciphertexts} -> {code_hex, code}
// A malformed election or choice list (a plain Error) comes back as
// {error: "Error", message}.

import { readFileSync } from 'node:fs';

import {
  AuditError, checkAudit, encryptForChallenge, encryptionCode, shortCode,
} from '../../voting/static/src/audit.js';
import { encryptBallot } from '../../voting/static/src/ballot.js';
import { TestRng } from '../../voting/static/src/drbg.js';
import { bytesToBigIntLE, toHex } from '../../voting/static/src/encoding.js';

const bytes = (hex) => Uint8Array.from(Buffer.from(hex, 'hex'));
const rngOf = (req) => new TestRng(bytes(req.seed)).rng;

const OPS = {
  challenge: (req) => {
    const secret = bytesToBigIntLE(bytes(req.secret));
    const { ballot, audit, code } = encryptForChallenge(req.election, req.choices, secret, rngOf(req));
    return { ballot, audit, code,
      encrypt_ballot: encryptBallot(req.election, req.choices, secret, rngOf(req)) };
  },
  check: (req) => {
    const { choices, code, codeBytes } = checkAudit(req.election, req.body);
    return { choices, code, code_hex: toHex(codeBytes) };
  },
  code: (req) => ({ code_hex: toHex(encryptionCode(req.ciphertexts)),
    code: shortCode(req.ciphertexts) }),
};

const answers = JSON.parse(readFileSync(0, 'utf8')).map((req) => {
  try {
    return OPS[req.op](req);
  } catch (err) {
    if (err instanceof AuditError) return { error: err.name, code: err.code, message: err.message };
    if (err.constructor === Error) return { error: 'Error', message: err.message };
    throw err;
  }
});
process.stdout.write(JSON.stringify(answers));
