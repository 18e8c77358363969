// Driver for tests/client/test_trustee_js.py: the trustee page's key
// functions (voting/static/src/trustee/kdf.js, share.js) under Node.
//
// stdin: one JSON request {op, ...}; stdout: one JSON answer.
//   {op: "derive", passphrase, salt, kdf}          -> {seed, enrolment_key}
//   {op: "open_dealt", passphrase, dealt}          -> {share} | {error}
// Errors the page shows the trustee come back as {error: <class name>}.

import { readFileSync } from 'node:fs';

import { toHex } from '../../voting/static/src/encoding.js';
import { scalarHex } from '../../voting/static/src/group.js';
import { deriveSeed, enrolmentPublicKey } from '../../voting/static/src/trustee/kdf.js';
import {
  ShareMismatch, WrongPassphrase, hexToBytes, openDealtShare,
} from '../../voting/static/src/trustee/share.js';

const request = JSON.parse(readFileSync(0, 'utf8'));

async function answer(req) {
  if (req.op === 'derive') {
    const seed = await deriveSeed(req.passphrase, hexToBytes(req.salt), req.kdf);
    return { seed: toHex(seed), enrolment_key: toHex(enrolmentPublicKey(seed)) };
  }
  if (req.op === 'open_dealt') {
    return { share: scalarHex(await openDealtShare(req.passphrase, req.dealt)) };
  }
  throw new Error(`unknown op ${req.op}`);
}

try {
  process.stdout.write(JSON.stringify(await answer(request)));
} catch (err) {
  if (!(err instanceof WrongPassphrase || err instanceof ShareMismatch)) throw err;
  process.stdout.write(JSON.stringify({ error: err.name }));
}
