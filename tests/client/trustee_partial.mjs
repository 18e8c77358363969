// Driver for tests/client/test_trustee_js.py: a trustee's partial
// decryption computed by voting/static/src/trustee/partial.js under Node.
//
// stdin: {fingerprint, public_key, ciphertexts, index, share (hex scalar),
//         public_share}; stdout: {partial, progress: [[done, total], ...]}
// or {error: <class name>} when the share does not match.

import { readFileSync } from 'node:fs';

import { partialDecrypt } from '../../voting/static/src/trustee/partial.js';
import { ShareMismatch, hexToBytes, scalarFromBytes } from '../../voting/static/src/trustee/share.js';

const job = JSON.parse(readFileSync(0, 'utf8'));
const steps = [];
try {
  const partial = await partialDecrypt({
    fingerprint: job.fingerprint,
    publicKey: job.public_key,
    ciphertexts: job.ciphertexts,
    index: job.index,
    share: scalarFromBytes(hexToBytes(job.share, 'share', 32)),
    publicShare: job.public_share,
    onProgress: (done, total) => { steps.push([done, total]); },
  });
  process.stdout.write(JSON.stringify({ partial, progress: steps }));
} catch (err) {
  if (!(err instanceof ShareMismatch)) throw err;
  process.stdout.write(JSON.stringify({ error: err.name }));
}
