// The trustee's part of the distributed key generation (PROTOCOL §4.5), on
// their home page until the key exists. The trustee types their passphrase
// once; while the page stays open it takes each step as soon as the
// ceremony reaches it: commit, reveal (deal), then check the shares it
// received and confirm, or complain about the dealer whose share is bad.
//
// Nothing is kept on the device: what a later step needs is on the server,
// sealed to the trustee's enrolment key (the coefficients between commit
// and reveal, the shares after). A trustee who closes the page comes back,
// types the passphrase again, and continues where the server says they are.
// Every post is repeated unchanged after a network drop (the server accepts
// an identical repeat), and a restart by the chair simply starts over.

import { x25519 } from '@noble/curves/ed25519';

import { equalBytes, hexBytes32 } from '../encoding.js';
import { mulBase, pointHex } from '../group.js';
import { getJson, postJson } from '../pages/common.js';
import {
  Complaint, ceremonyFromJson, commitMessage, drawCoefficients, openCoefficients,
  publicShareFromReveals, receiveShares, revealMessage,
} from './dkg.js';
import { deriveSeed } from './kdf.js';
import { WrongPassphrase } from './share.js';
import { failure, message, progress, say, show } from './ui.js';

const POLL_MS = 2000;

/** The server refused a post: its words are shown, nothing is retried. */
class Refused extends Error {}

/**
 * Run `work` and record its duration as the User Timing measure
 * "voting:<name>" (read by `make bench`; the page itself ignores it).
 */
function timed(name, work) {
  const started = performance.now();
  try {
    return work();
  } finally {
    performance.measure(`voting:${name}`, { start: started, end: performance.now() });
  }
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** GET the trustee's ceremony state, retrying through network drops. */
async function fetchState(url) {
  for (;;) {
    try {
      const response = await getJson(url);
      if (response.ok && response.body && typeof response.body === 'object') return response.body;
      if (response.status === 403 || response.status === 401) throw new Refused(failure(response));
    } catch (err) {
      if (err instanceof Refused) throw err;
    }
    await sleep(POLL_MS);
  }
}

/**
 * POST one step; the same payload again after a network drop. A 409 (the
 * ceremony moved on, or was restarted) returns null: the caller reloads the
 * state. Any other refusal stops the ceremony on this page.
 */
async function postStep(url, payload) {
  for (;;) {
    let response;
    try {
      response = await postJson(url, payload);
    } catch {
      await sleep(POLL_MS);
      continue;
    }
    if (response.ok) return response.body;
    if (response.status === 409) return null;
    if (response.status >= 500 || response.status === 429) {
      await sleep(POLL_MS);
      continue;
    }
    throw new Refused(failure(response));
  }
}

/** How many trustees have not yet reached `phases`. */
function waitingFor(state, phases) {
  return state.trustees.filter((t) => !phases.includes(t.phase)).length;
}

const AFTER = {
  commit: ['committed', 'revealed', 'confirmed', 'complained'],
  reveal: ['revealed', 'confirmed', 'complained'],
  confirm: ['confirmed'],
  enrol: ['enrolled', 'committed', 'revealed', 'confirmed', 'complained'],
};

/**
 * Take this trustee's next step if the ceremony is at it, else say what it
 * waits for. Resolves to the new state, or null when it must be fetched.
 */
async function step(root, state, seed, pending, tell) {
  const url = (name) => `${root.dataset.stepUrl}/${name}`;
  const attempt = state.attempt;
  const me = state.me;
  if (state.phase === 'enrol' || state.phase === 'complaint') {
    tell(state.phase === 'enrol'
      ? message('waiting_enrol', { waiting: waitingFor(state, AFTER.enrol), count: state.trustees.length })
      : message('complaint_stop'));
    return null;
  }
  const ceremony = ceremonyFromJson(state.ceremony);
  if (state.phase === 'commit' && me === 'enrolled') {
    tell(message('committing'));
    const key = `commit/${attempt}`;
    if (!pending.has(key)) {
      pending.set(key, timed('commit', () => commitMessage(ceremony, state.index,
        drawCoefficients(state.threshold))));
    }
    return postStep(url('commit'), { attempt, ...pending.get(key) });
  }
  if (state.phase === 'reveal' && me === 'committed') {
    tell(message('revealing'));
    const key = `reveal/${attempt}`;
    if (!pending.has(key)) {
      pending.set(key, timed('reveal', () => {
        const coefficients = openCoefficients(ceremony, state.index, seed,
          state.sealed_coefficients);
        try {
          return revealMessage(ceremony, state.index, coefficients);
        } finally {
          coefficients.fill(0n);
        }
      }));
    }
    return postStep(url('reveal'), { attempt, ...pending.get(key) });
  }
  if (state.phase === 'confirm' && me === 'revealed') {
    tell(message('checking'));
    try {
      const publicShare = timed('confirm', () => {
        const share = receiveShares(ceremony, state.index, seed, state.reveals);
        const expected = publicShareFromReveals(state.reveals, state.index);
        // Cannot fail when every share matched its dealer (Feldman): a last guard.
        if (!mulBase(share).equals(expected)) throw new Error('s·B differs from K_i');
        return expected;
      });
      return postStep(url('confirm'), { attempt, public_share: pointHex(publicShare) });
    } catch (err) {
      if (!(err instanceof Complaint)) throw err;
      tell(message('complaining', { dealer: err.dealer }));
      return postStep(url('complaint'), { attempt, dealer: err.dealer });
    }
  }
  const phases = AFTER[state.phase] || [];
  tell(message(`waiting_${state.phase}`, {
    waiting: waitingFor(state, phases), count: state.trustees.length,
  }));
  return null;
}

/**
 * Run the ceremony with the passphrase typed into `form` until the key is
 * made; throws WrongPassphrase, Refused, or a crypto error.
 */
async function run(root, form, passphrase) {
  const status = form.querySelector('[data-role="status"]');
  const bar = form.querySelector('[data-role="progress"]');
  const tell = (text) => say(status, text);
  let state = await fetchState(root.dataset.stateUrl);
  tell(message('deriving'));
  const derivation = performance.now();
  const seed = await deriveSeed(passphrase, hexBytes32(state.kdf_salt, 'KDF salt'), state.kdf,
    (f) => progress(bar, f));
  performance.measure('voting:scrypt', { start: derivation, end: performance.now() });
  show(bar, false);
  const pending = new Map();
  try {
    if (!equalBytes(x25519.getPublicKey(seed), hexBytes32(state.enrolment_key, 'enrolment key'))) {
      throw new WrongPassphrase();
    }
    for (;;) {
      if (state.phase === 'done') return;
      const next = await step(root, state, seed, pending, tell);
      if (next === null) await sleep(POLL_MS);
      state = next || await fetchState(root.dataset.stateUrl);
    }
  } finally {
    seed.fill(0);
  }
}

/** Wire the key-generation form on the home page (#key-generation). */
export function initCeremony(root) {
  const form = root.querySelector('form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = form.querySelector('input[name="passphrase"]');
    const error = form.querySelector('[data-role="error"]');
    const button = form.querySelector('button[type="submit"]');
    say(error, '');
    if (!input.value) {
      input.focus();
      return;
    }
    const passphrase = input.value;
    input.value = '';
    button.disabled = true;
    try {
      await run(root, form, passphrase);
      window.location.reload();
    } catch (err) {
      say(form.querySelector('[data-role="status"]'), '');
      if (err instanceof WrongPassphrase) say(error, message('wrong_passphrase'));
      else if (err instanceof Refused) say(error, err.message);
      else say(error, `${message('failed')} (${err.message})`);
      button.disabled = false;
    }
  });
}
