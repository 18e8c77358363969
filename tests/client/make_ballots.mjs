// Make real ballots with the bundled client, for test_vectors.py to verify
// in Python.
//
//   node tests/client/make_ballots.mjs < request.json > ballots.json
//
// The request is {"election": {...}, "voters": [{"token": hex, "choices": [[...]]}]};
// the answer is {"ballots": [{"credential", "ballot", "tracker"}]}, one per
// voter. Randomness is the OS CSPRNG through crypto.getRandomValues: the
// client's default, exactly as in a browser.

import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';

// Node 18 has no global WebCrypto without a flag; browsers and Node 19+ do.
if (!globalThis.crypto) globalThis.crypto = webcrypto;

const { ballotTracker, deriveCredential, encryptBallot } =
  await import(new URL('../../voting/static/dist/ballot.js', import.meta.url));

const request = JSON.parse(readFileSync(0, 'utf8'));
const { election } = request;

const ballots = request.voters.map(({ token, choices }) => {
  const bytes = Uint8Array.from(Buffer.from(token, 'hex'));
  const { secret, credential } = deriveCredential(bytes, election.manifest.round);
  const ballot = encryptBallot(election, choices, secret);
  return { credential, ballot, tracker: ballotTracker(ballot) };
});

process.stdout.write(JSON.stringify({ ballots }));
