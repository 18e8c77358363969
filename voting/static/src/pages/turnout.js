// Live turnout on the chair's round page: polls the round's turnout.json
// every 3 s while the round is open and updates the figures in place.
// Only counts of people and ballots (cast, issued, present, members) exist
// there, and why they do not allow closing yet: never a partial result.
// Texts come from the page or the server (translated server-side); this
// file shows or hides them.

import { getJson } from './common.js';

const POLL_MS = 3000;
const FIGURES = ['cast', 'issued', 'present', 'members'];

function show(root, selector, visible) {
  const el = root.querySelector(selector);
  if (el) el.classList.toggle('hidden', !visible);
}

/** A count as the server sends it: a safe non-negative integer, never a boolean. */
function isCount(value) {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function render(root, body) {
  for (const name of FIGURES) {
    const el = root.querySelector(`[data-figure="${name}"]`);
    if (el && isCount(body[name])) el.textContent = String(body[name]);
  }
  // Why the round cannot close yet (translated by the server), or null.
  const box = root.querySelector('[data-close-problem]');
  const reason = box && box.querySelector('[data-close-reason]');
  if (reason && (body.close_problem === null || typeof body.close_problem === 'string')) {
    reason.textContent = body.close_problem ?? '';
    box.classList.toggle('hidden', !body.close_problem);
  }
}

/** One poll; resolves to whether to keep polling. */
async function poll(root) {
  let response = null;
  try {
    response = await getJson(root.dataset.url);
  } catch {
    response = null; // network error: say so and try again
  }
  if (!response || !response.ok || !response.body) {
    show(root, '[data-offline]', true);
    return true;
  }
  show(root, '[data-offline]', false);
  render(root, response.body);
  if (response.body.state !== 'open') {
    show(root, '[data-closed]', true);
    return false;
  }
  return true;
}

function start(root) {
  const tick = async () => {
    const again = document.hidden ? true : await poll(root);
    if (again) setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, POLL_MS);
}

const root = document.querySelector('[data-turnout]');
if (root && root.dataset.state === 'open') start(root);
