// The chair's key-ceremony page: polls progress.json every 2 s while the
// key is not made, and shows each trustee's phase and the ceremony's step
// in place (PROTOCOL §4.5). The texts are the page's own (translated by the
// server, in #ceremony-labels); this file only picks among them. When the
// phase changes in a way that changes the chair's buttons (a complaint, the
// key made), the page reloads itself.

import { getJson } from './common.js';

const POLL_MS = 2000;
const PHASES = ['invited', 'enrolled', 'committed', 'revealed', 'confirmed', 'complained'];

function label(root, selector) {
  const el = root.querySelector(`#ceremony-labels ${selector}`);
  return el ? el.textContent : '';
}

/** The progress reply's shape, checked before anything is shown. */
export function isProgress(body) {
  return body !== null && typeof body === 'object' && typeof body.phase === 'string'
    && Array.isArray(body.trustees) && body.trustees.every((t) => t !== null
      && typeof t === 'object' && Number.isSafeInteger(t.index) && PHASES.includes(t.phase)
      && (t.complaint_against === null || Number.isSafeInteger(t.complaint_against)));
}

function render(root, body) {
  const line = root.querySelector('#ceremony-phase');
  const text = label(root, `[data-ceremony="${body.phase}"]`);
  if (line && text) line.textContent = text;
  for (const trustee of body.trustees) {
    const cell = root.querySelector(`tr[data-trustee="${trustee.index}"] [data-role="phase"]`);
    if (!cell || cell.dataset.phase === trustee.phase) continue;
    cell.dataset.phase = trustee.phase;
    let words = label(root, `[data-phase="${trustee.phase}"]`);
    if (trustee.complaint_against !== null) {
      words += ` (${label(root, '[data-label="about"]').replace('{index}', trustee.complaint_against)})`;
    }
    cell.textContent = words;
  }
}

async function poll(root, firstPhase) {
  let body = null;
  try {
    const response = await getJson(root.dataset.progressUrl);
    if (response.ok && isProgress(response.body)) body = response.body;
  } catch {
    // The network dropped: try again at the next tick.
  }
  if (body) {
    render(root, body);
    const changesButtons = (phase) => phase === 'complaint' || phase === 'done';
    if (body.phase !== firstPhase && (changesButtons(body.phase) || changesButtons(firstPhase))) {
      window.location.reload();
      return;
    }
  }
  setTimeout(() => poll(root, firstPhase), POLL_MS);
}

const root = document.getElementById('ceremony-progress');
if (root && root.dataset.phase !== 'done' && root.querySelector('#ceremony-labels')) {
  setTimeout(() => poll(root, root.dataset.phase), POLL_MS);
}
