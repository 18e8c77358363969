// The hall screen (projector): polls the conference's state.json every
// 2 s. While a round is open it updates the turnout (ballots cast of cards
// issued, delegates present) and counts down to the closing time on the
// server's clock (the projector's own clock may be wrong: the offset to
// the server's `now` is measured at each poll). When `version` changes (a
// round opened, closed or was published) it loads the page again, which
// the server renders for the new state. Only counts of people and ballots
// exist before publication: never a partial result. Texts come from the
// page (translated by the server); this file shows, hides and fills them.

import { getJson } from './common.js';

const POLL_MS = 2000;
const TICK_MS = 250;
const FIGURES = ['cast', 'issued', 'present'];

const root = document.querySelector('[data-screen]');
/** Server time minus this browser's time, in ms. */
let offset = 0;
/** The closing time in ms since the epoch (server clock), or null. */
let closesAt = null;
let timer = null;
/** Whether the server was asked at once when the countdown reached zero. */
let askedAtZero = false;

/** A count as the server sends it: a safe non-negative integer, never a boolean. */
function isCount(value) {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function renderTurnout(turnout) {
  if (!turnout || !FIGURES.every((name) => isCount(turnout[name]))) return;
  for (const name of FIGURES) {
    const el = root.querySelector(`[data-figure="${name}"]`);
    if (el) el.textContent = String(turnout[name]);
  }
  const present = root.querySelector('[data-present-text]');
  if (present) present.textContent = present.dataset.template.replace('{present}', String(turnout.present));
  const fill = root.querySelector('[data-turnout-fill]');
  if (fill) {
    const share = turnout.issued > 0 ? Math.min(turnout.cast, turnout.issued) / turnout.issued : 0;
    fill.setAttribute('width', (share * 100).toFixed(2));
  }
}

/** "HH:MM" of an instant in the conference's time zone. */
function clockTime(ms) {
  const options = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  try {
    return new Intl.DateTimeFormat(root.dataset.lang, { ...options, timeZone: root.dataset.timeZone })
      .format(new Date(ms));
  } catch {
    return new Intl.DateTimeFormat(root.dataset.lang, options).format(new Date(ms));
  }
}

/** mm:ss, or h:mm:ss from an hour on, of a duration rounded up to the second. */
function remainingText(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

function setClosingTime(iso) {
  const box = root.querySelector('[data-countdown]');
  if (!box) return;
  const parsed = typeof iso === 'string' ? Date.parse(iso) : NaN;
  closesAt = Number.isNaN(parsed) ? null : parsed;
  box.classList.toggle('hidden', closesAt === null);
  if (closesAt !== null && box.dataset.closesAt !== iso) {
    box.querySelector('[data-closes-text]').textContent =
      box.dataset.template.replace('{time}', clockTime(closesAt));
  }
  box.dataset.closesAt = closesAt === null ? '' : iso;
  tick();
}

/** Redraw the countdown; at zero say "Closing…" and ask the server soon. */
function tick() {
  const box = root.querySelector('[data-countdown]');
  if (!box || closesAt === null) return;
  const left = closesAt - (Date.now() + offset);
  const clock = box.querySelector('[data-clock]');
  const text = remainingText(left);
  if (clock.textContent !== text) clock.textContent = text;
  const closing = left <= 0;
  clock.classList.toggle('hidden', closing);
  box.querySelector('[data-closing]').classList.toggle('hidden', !closing);
  if (closing && !askedAtZero) {
    askedAtZero = true;
    schedule(TICK_MS); // the server closes the round on this request
  }
}

function schedule(delay) {
  clearTimeout(timer);
  timer = setTimeout(poll, delay);
}

async function poll() {
  const sent = Date.now();
  let response = null;
  try {
    response = await getJson(root.dataset.url);
  } catch {
    response = null; // network error: say so and try again
  }
  const received = Date.now();
  const body = response && response.ok ? response.body : null;
  root.querySelector('[data-offline]').classList.toggle('hidden', Boolean(body));
  if (!body) {
    schedule(POLL_MS);
    return;
  }
  if (body.version !== root.dataset.version) {
    window.location.reload();
    return;
  }
  const now = typeof body.now === 'string' ? Date.parse(body.now) : NaN;
  if (!Number.isNaN(now)) offset = now - (sent + received) / 2;
  renderTurnout(body.turnout);
  setClosingTime(body.closes_at);
  schedule(POLL_MS);
}

/** Smaller steps of the result's rows (screen.css: fit-1 … fit-5). */
const FIT_STEPS = 5;

/** Should long names still make the rows overflow their box, make them
 * smaller a tenth at a time, keeping the layout the server chose. */
function fitResult() {
  const box = root.querySelector('.screen-result');
  if (box) box.classList.remove(...Array.from({ length: FIT_STEPS }, (_, i) => `fit-${i + 1}`));
  for (let step = 1; box && step <= FIT_STEPS && box.scrollHeight > box.clientHeight + 1; step += 1) {
    box.classList.remove(`fit-${step - 1}`);
    box.classList.add(`fit-${step}`);
  }
}

if (root) {
  fitResult();
  window.addEventListener('resize', fitResult);
  const box = root.querySelector('[data-countdown]');
  if (box) {
    setClosingTime(box.dataset.closesAt || null);
    setInterval(tick, TICK_MS);
  }
  schedule(0);
}
