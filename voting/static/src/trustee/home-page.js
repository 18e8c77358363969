// The trustee's home page: check the dealt share, and decrypt closed
// rounds' tallies. Each action asks for the passphrase, opens the share in
// this browser, and sends only what the server may see: that the share
// checked, or a partial decryption with its proofs.

import { getJson, postJson } from '../pages/common.js';
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

function describe(err) {
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
  await sendJson(root.dataset.shareCheckedUrl, {});
  return message('share_ok');
}

async function decryptRound(root, form, passphrase) {
  const status = form.querySelector('[data-role="status"]');
  const bar = form.querySelector('[data-role="progress"]');
  say(status, message('fetching'));
  const tally = await fetchJson(form.dataset.tallyUrl);
  const share = await unlock(root, form, passphrase);
  const partial = await partialDecrypt({
    fingerprint: tally.fingerprint,
    publicKey: tally.public_key,
    ciphertexts: tally.ciphertexts,
    index: tally.trustee,
    share,
    publicShare: tally.public_share,
    onProgress: async (done, total) => {
      say(status, message('decrypting', { done, total }));
      progress(bar, done / total);
      await nextFrame();
    },
  });
  say(status, message('sending'));
  await sendJson(form.dataset.partialUrl, partial);
  form.querySelector('button[type="submit"]').remove();
  return message('decrypted');
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
  for (const form of root.querySelectorAll('form.passphrase-form')) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      run(root, form);
    });
  }
}
