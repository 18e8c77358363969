// The delegate's phone page (templates/vote/page.html).
//
// The card token comes from the URL fragment (/vote#<token>), which the
// browser never sends, or from the code typed into the form; it stays in
// this module's memory. For each open round the page derives the card's
// credential (PROTOCOL §8.1) and keeps the rounds whose published
// credentials contain it. Ballots are encrypted, proven and signed here
// as the review step shows (encryptForChallenge), named by their encryption
// code, then either cast or challenged (PROTOCOL §8.6). A cast ballot is
// kept in sessionStorage as the exact bytes sent until the server's receipt
// arrives, and re-sent byte for byte by "Retry". A challenged one is
// dropped the moment the voter chooses to check it: only its audit (no
// credential, no signature, no proof) is sent, and the phone encrypts
// afresh for the voter to cast or check again. The choices being filled in
// are kept per round in sessionStorage (vote/drafts.js: option indices
// only), so that a reload or a language switch returns to them.

import { encryptForChallenge } from '../audit.js';
import { ballotTracker, deriveCredential, shortTracker } from '../ballot.js';
import { BallotForm } from '../vote/ballot_form.js';
import { Api, pending } from '../vote/client.js';
import { Drafts } from '../vote/drafts.js';
import { cloneTemplate, loadText } from '../vote/text.js';
import { decodeToken, encodeToken } from '../vote/token.js';

const app = document.getElementById('vote-app');
const t = loadText('vote-text');
const api = new Api({
  open: app.dataset.urlOpen, status: app.dataset.urlStatus, cast: app.dataset.urlCast,
  audit: app.dataset.urlAudit,
});
const $ = (id) => document.getElementById(id);
const drafts = new Drafts();
drafts.start(performance.getEntriesByType?.('navigation')?.[0]?.type);
/** The round whose ballot was on screen before a reload: shown again once. */
let resumeRound = drafts.current();

/**
 * The card, the round being voted and its form; `encryption` is the
 * {ballot, audit, code} the review step shows, until cast, challenged or
 * abandoned; `attempt` counts encryptions, so that a stale one is ignored.
 * Nothing here is sent but a ballot (cast) or an audit (challenge).
 */
const state = { token: null, current: null, form: null, encryption: null, attempt: 0 };

/** Codes after which sending the same ballot again can succeed. */
const RETRYABLE = (status) => status >= 500 || status === 429 || status === 408;

function show(id) {
  for (const screen of app.querySelectorAll('.screen')) screen.classList.toggle('hidden', screen.id !== id);
  window.scrollTo(0, 0);
}

function say(el, text) {
  el.textContent = text;
  el.classList.toggle('hidden', !text);
}

function fillRound(round) {
  for (const el of app.querySelectorAll('[data-fill="title"]')) el.textContent = round.title;
  for (const el of app.querySelectorAll('[data-fill="conference"]')) el.textContent = round.conference;
}

/** A language link continues this page: the choices being filled in stay. */
for (const link of document.querySelectorAll('.lang a')) link.addEventListener('click', () => drafts.carry());

/** Keep the card in the address when switching language (fragments are not sent). */
function keepHashOnLanguageLinks() {
  for (const link of document.querySelectorAll('.lang a')) {
    link.setAttribute('href', link.getAttribute('href').split('#')[0] + window.location.hash);
  }
}

function tokenFromHash() {
  const raw = window.location.hash.slice(1);
  try { return decodeURIComponent(raw); } catch { return raw; }
}

// --- the card -------------------------------------------------------------

function openCard(text, { fromForm = false } = {}) {
  const previous = state.token && encodeToken(state.token);
  try {
    state.token = decodeToken(text);
  } catch {
    state.token = null;
    $('code-input').value = text;
    show('screen-code');
    say($('code-error'), t('invalid_code'));
    return;
  }
  say($('code-error'), '');
  if (fromForm || (previous && previous !== encodeToken(state.token))) drafts.clear(); // another card
  if (fromForm) window.history.replaceState(null, '', `#${encodeToken(state.token)}`);
  keepHashOnLanguageLinks();
  loadRounds();
}

$('code-form').addEventListener('submit', (event) => {
  event.preventDefault();
  openCard($('code-input').value, { fromForm: true });
});

$('other-card').addEventListener('click', () => {
  state.token = null;
  drafts.clear();
  window.history.replaceState(null, '', window.location.pathname);
  keepHashOnLanguageLinks();
  $('code-input').value = '';
  show('screen-code');
});

window.addEventListener('hashchange', () => openCard(tokenFromHash()));

// --- the card's rounds ----------------------------------------------------

async function loadRounds() {
  show('screen-rounds');
  $('round-list').replaceChildren();
  say($('rounds-message'), t('loading'));
  let mine;
  try {
    const open = await api.openRounds();
    mine = open.map((round) => ({ round, ...deriveCredential(state.token, round.round) }))
      .filter((entry) => entry.round.election.credentials.includes(entry.credential));
    if (!open.length || !mine.length) {
      say($('rounds-message'), t(open.length ? 'card_not_in_round' : 'no_open'));
      return;
    }
    const statuses = await Promise.all(mine.map((e) => api.status(e.round.round, e.credential)));
    mine.forEach((entry, i) => { entry.status = statuses[i]; });
  } catch {
    say($('rounds-message'), t('network'));
    return;
  }
  say($('rounds-message'), '');
  $('round-list').replaceChildren(...mine.map(renderRound));
  const resume = mine.find((entry) => entry.votable && entry.round.round === resumeRound);
  resumeRound = null;
  if (resume) startBallot(resume);
}

function renderRound(entry) {
  const { round, credential, status } = entry;
  const item = cloneTemplate('tpl-round');
  item.querySelector('.round-conference').textContent = round.conference;
  item.querySelector('.round-title').textContent = round.title;
  const button = (cls, action) => {
    const el = item.querySelector(cls);
    el.classList.remove('hidden');
    el.addEventListener('click', action);
  };
  let waiting = pending.get(round.round, credential);
  if (waiting && (status.receipt || status.revoked || status.state !== 'open')) {
    pending.drop(round.round, credential); // it can no longer be accepted
    waiting = null;
  }
  let text = 'status_not_voted';
  if (status.receipt || status.revoked || status.state !== 'open') drafts.drop(round.round);
  if (status.receipt) {
    text = 'status_voted';
    say(item.querySelector('.round-tracker'), status.receipt.short_tracker);
    button('.round-receipt', () => showReceipt(round, status, false));
  } else if (status.revoked) {
    text = 'status_revoked';
  } else if (status.state !== 'open') {
    text = 'round_not_open';
  } else if (waiting) {
    text = 'status_pending';
    button('.round-retry', () => send(entry, waiting));
    button('.round-discard', () => { pending.drop(round.round, credential); loadRounds(); });
  } else {
    entry.votable = true;
    button('.round-vote', () => startBallot(entry));
  }
  item.querySelector('.round-status').textContent = t(text);
  item.classList.add(`round-${text.replace('status_', '')}`);
  return item;
}

$('refresh').addEventListener('click', () => loadRounds());

// --- filling in, reviewing and casting --------------------------------------

function startBallot(entry) {
  const roundId = entry.round.round;
  const { manifest } = entry.round.election;
  state.current = entry;
  fillRound(entry.round);
  drafts.enter(roundId);
  state.form = new BallotForm($('contest-list'), manifest, t, {
    choices: drafts.get(roundId, manifest.contests),
    onChange: (choices) => drafts.put(roundId, choices),
  });
  say($('ballot-help'), state.form.help());
  say($('ballot-error'), '');
  show('screen-ballot');
}

$('ballot-back').addEventListener('click', () => { drafts.leave(); loadRounds(); });

$('to-review').addEventListener('click', () => {
  const problem = state.form.problem();
  say($('ballot-error'), problem || '');
  if (problem) return;
  $('review-list').replaceChildren(...state.form.summary().map((row) => {
    const item = cloneTemplate('tpl-review-row');
    item.querySelector('.review-name').textContent = row.name;
    item.querySelector('.review-choice').textContent = row.choice;
    item.classList.toggle('blank', row.blank);
    return item;
  }));
  encryptForReview();
});

$('review-back').addEventListener('click', () => {
  forgetEncryption(); // never sent: nothing to undo
  show('screen-ballot');
});

/** Let the browser paint before the CPU-bound encryption. */
const nextPaint = () => new Promise((resolve) => {
  window.requestAnimationFrame(() => setTimeout(resolve, 0));
});

/** Drop the encryption on screen (its randomness with it) and lock the choice. */
function forgetEncryption() {
  state.encryption = null;
  state.attempt += 1;
  $('cast').disabled = true;
  $('challenge').disabled = true;
}

/**
 * Show the review step and encrypt the reviewed choices with fresh
 * randomness (§8.6): the code appears, then Cast and Check are offered.
 */
async function encryptForReview() {
  const entry = state.current;
  forgetEncryption();
  const attempt = state.attempt;
  const code = $('encryption-code');
  code.textContent = t('encrypting');
  code.dataset.state = 'encrypting';
  show('screen-review');
  await nextPaint();
  if (attempt !== state.attempt) return; // left the step meanwhile
  let encryption;
  try {
    encryption = encryptForChallenge(entry.round.election, state.form.choices(), entry.secret);
  } catch {
    problem(t('encrypt_failed'), null);
    return;
  }
  state.encryption = encryption;
  code.textContent = encryption.code;
  code.dataset.state = 'ready';
  $('cast').disabled = false;
  $('challenge').disabled = false;
}

$('cast').addEventListener('click', async () => {
  const entry = state.current;
  const { encryption } = state;
  if (!encryption) return;
  forgetEncryption();
  const body = JSON.stringify(encryption.ballot);
  pending.put(entry.round.round, entry.credential, body);
  await send(entry, body);
});

// --- checking an encryption instead of casting it (§8.6) ---------------------

$('challenge').addEventListener('click', () => {
  const { encryption } = state;
  if (!encryption) return;
  forgetEncryption(); // from now on this ballot can never be cast
  sendAudit(state.current, JSON.stringify(encryption.audit), encryption.code);
});

/** Publish an audit's bytes, then show the check page's QR code and link. */
async function sendAudit(entry, body, code) {
  const status = $('audit-status');
  $('audit-done').classList.add('hidden');
  $('audit-retry').classList.add('hidden');
  say(status, t('audit_sending'));
  status.classList.remove('notice-bad');
  show('screen-audit');
  let res;
  try {
    res = await api.audit(entry.round.round, body);
  } catch {
    auditProblem(t('audit_network'), () => sendAudit(entry, body, code));
    return;
  }
  if (res.ok && res.body?.code === code) {
    say(status, '');
    $('audit-code').textContent = code;
    $('audit-qr').src = res.body.qr;
    $('audit-link').href = res.body.check_url;
    $('audit-link').textContent = res.body.check_url;
    $('audit-done').classList.remove('hidden');
    return;
  }
  const refused = res.body?.error?.code;
  if (!refused || RETRYABLE(res.status)) {
    auditProblem(t('audit_busy'), () => sendAudit(entry, body, code));
    return;
  }
  let why = t('audit_refused', { code: refused });
  if (refused === 'audit_limit') why = t('audit_limit');
  else if (refused === 'round_not_open' || refused === 'not_found') why = t(refused);
  auditProblem(why, null);
}

function auditProblem(message, retry) {
  const status = $('audit-status');
  say(status, message);
  status.classList.add('notice-bad');
  const button = $('audit-retry');
  button.classList.toggle('hidden', !retry);
  button.onclick = retry;
}

$('encrypt-again').addEventListener('click', () => encryptForReview());
$('audit-back').addEventListener('click', () => loadRounds());

/** Send a ballot's bytes; on success show the receipt, else explain. */
async function send(entry, body) {
  const { round, credential } = entry;
  state.current = entry;
  fillRound(round);
  show('screen-sending');
  let res;
  try {
    res = await api.cast(round.round, body);
  } catch {
    problem(t('network_pending'), () => send(entry, body));
    return;
  }
  if (res.ok && res.body?.receipt?.tracker === ballotTracker(JSON.parse(body))) {
    pending.drop(round.round, credential);
    drafts.drop(round.round);
    showReceipt(round, res.body, true);
    return;
  }
  const code = res.body?.error?.code;
  if (!code || RETRYABLE(res.status)) {
    problem(t('server_busy'), () => send(entry, body));
    return;
  }
  pending.drop(round.round, credential); // refused for good: the same bytes cannot pass
  const known = ['round_not_open', 'credential_revoked', 'unknown_credential', 'already_voted',
    'not_found'];
  problem(known.includes(code) ? t(code) : t('refused', { code }), null);
}

function problem(message, retry) {
  say($('problem-message'), message);
  const button = $('retry');
  button.classList.toggle('hidden', !retry);
  button.onclick = retry;
  show('screen-problem');
}

$('problem-back').addEventListener('click', () => loadRounds());

// --- the receipt ------------------------------------------------------------

function showReceipt(round, answer, isNew) {
  const { receipt } = answer;
  fillRound(round);
  $('receipt-heading').textContent = isNew ? $('receipt-heading').dataset.cast
    : t('receipt_stored');
  $('receipt-short').textContent = shortTracker(receipt.tracker);
  $('receipt-full').textContent = receipt.tracker;
  $('receipt-link').href = answer.board_url;
  $('receipt-qr').src = answer.qr;
  $('receipt-client').textContent = round.election.ballot_client.match(/.{1,4}/g).join(' ');
  show('screen-receipt');
}

$('receipt-heading').dataset.cast = $('receipt-heading').textContent;
$('receipt-back').addEventListener('click', () => loadRounds());

// --- start ------------------------------------------------------------------

if (window.location.hash.length > 1) openCard(tokenFromHash());
else show('screen-code');
