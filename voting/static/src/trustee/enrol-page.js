// The enrolment page: open the trustee session with the invitation token
// from the URL fragment, then turn a passphrase into an X25519 key pair in
// this browser and enrol its public half. The passphrase never leaves it.

import { postJson } from '../pages/common.js';
import { isJsonInt, toHex } from '../encoding.js';
import {
  MIN_PASSPHRASE_LENGTH, checkKdf, deriveSeed, enrolmentPublicKey, newSalt, passphraseStrength,
} from './kdf.js';
import { failure, message, progress, say, show } from './ui.js';

/** Read the token from the fragment and drop it from the address bar and history. */
function takeToken() {
  let token = window.location.hash.slice(1);
  try {
    token = decodeURIComponent(token);
  } catch {
    // Not percent-encoded text: the server will refuse it as it is.
  }
  if (token) window.history.replaceState(null, '', window.location.pathname);
  return token;
}

async function openSession(root, token) {
  const status = root.querySelector('#enrol-status');
  let response;
  try {
    response = await postJson(root.dataset.sessionUrl, { token });
  } catch {
    say(status, message('network'));
    return null;
  }
  if (response.status === 404) say(status, message('bad_token'));
  else if (!response.ok) say(status, failure(response));
  if (!response.ok) return null;
  if (!isSessionReply(response.body)) {
    say(status, message('failed'));
    return null;
  }
  return response.body;
}

/**
 * The session reply {name, index, conference, is_enrolled, has_key,
 * key_generation_started, home} with exact types: flags are booleans
 * (never 0 or 1), the index an integer.
 */
export function isSessionReply(body) {
  return body !== null && typeof body === 'object' && typeof body.name === 'string'
    && isJsonInt(body.index, 1, 32) && typeof body.conference === 'string'
    && typeof body.is_enrolled === 'boolean' && typeof body.has_key === 'boolean'
    && typeof body.key_generation_started === 'boolean'
    && typeof body.home === 'string';
}

function wireStrength(form) {
  const input = form.querySelector('#passphrase');
  const hint = form.querySelector('#strength');
  input.addEventListener('input', () => {
    const score = passphraseStrength(input.value);
    say(hint, input.value ? message(`strength_${score}`) : '');
    hint.dataset.score = String(score);
  });
  form.querySelector('#show-passphrase').addEventListener('change', (event) => {
    for (const field of form.querySelectorAll('input[name^="passphrase"]')) {
      field.type = event.target.checked ? 'text' : 'password';
    }
  });
}

function problem(first, second) {
  if ([...first.normalize('NFC')].length < MIN_PASSPHRASE_LENGTH) return message('too_short');
  if (first.normalize('NFC') !== second.normalize('NFC')) return message('differ');
  return '';
}

async function enrol(root, form) {
  const error = form.querySelector('#enrol-error');
  const bar = form.querySelector('#enrol-progress');
  const button = form.querySelector('#enrol-submit');
  const first = form.querySelector('#passphrase');
  const second = form.querySelector('#passphrase-again');
  say(error, problem(first.value, second.value));
  if (error.textContent) return;
  button.disabled = true;
  say(root.querySelector('#enrol-status'), message('deriving'));
  try {
    const kdf = checkKdf(JSON.parse(root.dataset.kdf));
    const salt = newSalt();
    const seed = await deriveSeed(first.value, salt, kdf, (f) => progress(bar, f));
    const publicKey = enrolmentPublicKey(seed);
    seed.fill(0);
    say(root.querySelector('#enrol-status'), message('saving'));
    const response = await postJson(root.dataset.enrolmentUrl,
      { enrolment_key: toHex(publicKey), kdf_salt: toHex(salt) });
    if (!response.ok) throw new Error(failure(response));
    first.value = '';
    second.value = '';
    show(form, false);
    say(root.querySelector('#enrol-status'), '');
    show(root.querySelector('#enrol-done'), true);
  } catch (err) {
    say(error, err instanceof TypeError ? message('network') : err.message || message('failed'));
  } finally {
    button.disabled = false;
    show(bar, false);
  }
}

/** Wire the enrolment page rooted at `root` (#trustee-enrol). */
export async function initEnrolPage(root) {
  const status = root.querySelector('#enrol-status');
  const form = root.querySelector('#enrol-form');
  const token = takeToken();
  let who = null;
  if (token) {
    who = await openSession(root, token);
    if (!who) return;
    if (who.has_key || who.key_generation_started) {
      window.location.assign(who.home);
      return;
    }
    say(root.querySelector('#enrol-who'), message('who', who));
    form.querySelector('#enrol-username').value = who.name;
    show(root.querySelector('#enrol-who'), true);
  } else if (root.dataset.hasSession !== '1') {
    say(status, message('no_token'));
    return;
  } else if (root.dataset.hasKey === '1') {
    window.location.assign(root.dataset.homeUrl);
    return;
  }
  const enrolled = who ? who.is_enrolled : root.dataset.isEnrolled === '1';
  say(status, message(enrolled ? 'rechoose' : 'choose'));
  if (enrolled) show(root.querySelector('#enrol-done'), true);
  wireStrength(form);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    enrol(root, form);
  });
  show(form, true);
}
