// The trustee's home page: check the dealt share, and decrypt closed
// rounds' tallies. Each action asks for the passphrase, opens the share in
// this browser, and sends only what the server may see: that the share
// checked, or a partial decryption with its proofs.
//
// Verify before decrypt: the page never decrypts the ciphertexts the server
// names as the tally. It downloads the round's board, runs the verifier's
// checks on it up to the tally event (verifier/before-decrypt.js, ballots
// checked in Web Workers) and decrypts the tally it recomputed from the
// ballots; it refuses, naming the failed check, when they disagree.

import { toHex } from '../encoding.js';
import { getJson, postJson } from '../pages/common.js';
import { BoardRefused, verifiedTally } from '../verifier/before-decrypt.js';
import { LocalChecker } from '../verifier/scan.js';
import { WebWorkerChecker } from '../verifier/web-pool.js';
import { partialDecrypt } from './partial.js';
import { ShareMismatch, WrongPassphrase, openDealtShare } from './share.js';
import { failure, message, nextFrame, progress, say, show } from './ui.js';

/** A request's body, or an Error carrying the message to show. */
async function fetchJson(url) {
  const response = await getJson(url);
  if (!response.ok) throw new Error(failure(response));
  return response.body;
}

async function sendJson(url, payload) {
  const response = await postJson(url, payload);
  if (!response.ok) throw new Error(failure(response));
  return response.body;
}

/** The round's board, as bytes (board.jsonl). */
async function fetchBoard(url) {
  const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) throw new Error(failure({ ok: false, status: response.status, body: null }));
  return new Uint8Array(await response.arrayBuffer());
}

/** The tally.json names another election than the verified board's. */
class OtherElection extends Error {
  constructor(what) {
    super(`the tally's ${what} differs from the board's`);
    this.what = what;
  }
}

function describe(err) {
  if (err instanceof BoardRefused) {
    return message('board_refused', { check: err.check, title: message(`check_${err.check}`),
      detail: err.detail.replace(/\.$/, '') });
  }
  if (err instanceof OtherElection) return message('other_election', { what: message(err.what) });
  if (err instanceof WrongPassphrase) return message('wrong_passphrase');
  if (err instanceof ShareMismatch) return message('mismatch');
  if (err instanceof TypeError) return message('network');
  return err.message || message('failed');
}

/** Passphrase -> checked share, with progress on the form's bar. */
async function unlock(root, form, passphrase) {
  const dealt = await fetchJson(root.dataset.shareUrl);
  say(form.querySelector('[data-role="status"]'), message('deriving'));
  const bar = form.querySelector('[data-role="progress"]');
  return openDealtShare(passphrase, dealt, (f) => progress(bar, f));
}

async function checkShare(root, form, passphrase) {
  await unlock(root, form, passphrase);
  return message('share_ok');
}

/**
 * verifiedTally with the ballots checked in Web Workers where the browser
 * has them; if the workers themselves fail (not a check), again in this
 * thread, yielding to the page between steps.
 */
async function verifyInWorkers(root, board, onProgress) {
  const url = root.dataset.verifyWorkerUrl;
  if (url && typeof Worker !== 'undefined') {
    try {
      return await verifiedTally(board, { pool: new WebWorkerChecker(url), onProgress });
    } catch (err) {
      if (err instanceof BoardRefused) throw err;
    }
  }
  return verifiedTally(board, { pool: new LocalChecker(), onProgress });
}

/**
 * Verify the round's board and recompute its tally (checks 1, 2, 4–15);
 * the server's tally.json must name the same round, election and share.
 */
async function verifyBoard(root, form, tally) {
  const status = form.querySelector('[data-role="status"]');
  const bar = form.querySelector('[data-role="progress"]');
  say(status, message('fetching_board'));
  const board = await fetchBoard(form.dataset.boardUrl);
  const started = performance.now();
  const verified = await verifyInWorkers(root, board, async (done, total) => {
    say(status, message('verifying', { done, total }));
    progress(bar, done / total);
    await nextFrame();
  });
  form.dataset.verifiedMs = String(Math.round(performance.now() - started));
  const { election } = verified;
  const member = election.trustees.find((t) => t.index === tally.trustee);
  const memberShare = member ? toHex(member.publicShare.toBytes()) : null;
  if (election.manifest.roundId !== tally.round) throw new OtherElection('round');
  if (verified.fingerprint !== tally.fingerprint) throw new OtherElection('fingerprint');
  if (verified.publicKey !== tally.public_key) throw new OtherElection('public_key');
  if (memberShare === null || memberShare !== tally.public_share) {
    throw new OtherElection('public_share');
  }
  return { ...verified, publicShare: memberShare };
}

async function decryptRound(root, form, passphrase) {
  const status = form.querySelector('[data-role="status"]');
  const bar = form.querySelector('[data-role="progress"]');
  say(status, message('fetching'));
  const tally = await fetchJson(form.dataset.tallyUrl);
  const verified = await verifyBoard(root, form, tally);
  const share = await unlock(root, form, passphrase);
  // Only what this browser verified and recomputed: never tally.ciphertexts.
  const partial = await partialDecrypt({
    fingerprint: verified.fingerprint,
    publicKey: verified.publicKey,
    ciphertexts: verified.ciphertexts,
    index: tally.trustee,
    share,
    publicShare: verified.publicShare,
    onProgress: async (done, total) => {
      say(status, message('decrypting', { done, total }));
      progress(bar, done / total);
      await nextFrame();
    },
  });
  say(status, message('sending'));
  await sendJson(form.dataset.partialUrl, partial);
  form.querySelector('button[type="submit"]').remove();
  return `${message('verified', { count: verified.cast })} ${message('decrypted')}`;
}

const ACTIONS = { 'check-share': checkShare, decrypt: decryptRound };

async function run(root, form) {
  const input = form.querySelector('input[name="passphrase"]');
  const error = form.querySelector('[data-role="error"]');
  const status = form.querySelector('[data-role="status"]');
  const button = form.querySelector('button[type="submit"]');
  say(error, '');
  if (!input.value) {
    input.focus();
    return;
  }
  button.disabled = true;
  try {
    const done = await ACTIONS[form.dataset.action](root, form, input.value);
    say(status, done);
    status.classList.add('ok-message');
    show(input.closest('form').querySelector('label'), false);
    show(input, false);
  } catch (err) {
    say(status, '');
    say(error, describe(err));
  } finally {
    input.value = '';
    button.disabled = false;
    show(form.querySelector('[data-role="progress"]'), false);
  }
}

/** Wire the home page rooted at `root` (#trustee-home). */
export function initHomePage(root) {
  for (const form of root.querySelectorAll('form.passphrase-form[data-action="check-share"], form.passphrase-form[data-action="decrypt"]')) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      run(root, form);
    });
  }
}
