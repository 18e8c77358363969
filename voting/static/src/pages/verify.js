// "Verify this round" on the public board (/board/<round>/verify): bundled
// by esbuild into voting/static/dist/verify.js. The button downloads the
// round's signed record and runs the JavaScript verifier on it in this
// browser (verifier/browser-run.js: all the checks of PROTOCOL.md §14,
// ballots checked in Web Workers), filling in the list of checks the
// server rendered as each one completes, then the verdict and what the
// verifier computed: ballots, counts, fingerprint and head. Every text is
// translated by the server (#verify-messages); this file only places it.

import { MAX_DETAILS } from '../verifier/checks.js';
import { verifyInBrowser } from '../verifier/browser-run.js';

/** Share of the progress bar for the download; the board scan and the checks share the rest. */
const DOWNLOAD = 0.15;
const SCAN = 0.8;
const NOT_EVALUATED = 'not evaluated: ';

/** The translated text for `key`, with {placeholders} filled from `values`. */
function message(key, values = {}) {
  const el = document.querySelector(`#verify-messages [data-msg="${key}"]`);
  const text = el ? el.textContent.trim() : key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
}

function show(el, visible = true) {
  if (el) el.classList.toggle('hidden', !visible);
}

function say(el, text) {
  if (el) el.textContent = text;
}

/** Let the browser paint before the next chunk of work. */
function nextFrame() {
  return new Promise((resolve) => { setTimeout(resolve, 0); });
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The record could not be downloaded: `status` 0 for a network failure. */
class DownloadFailed extends Error {
  constructor(status) {
    super(`record download failed (${status})`);
    this.status = status;
  }
}

/** The body's bytes, reporting the fraction received when its size is known. */
async function readBody(response, onFraction) {
  const size = Number(response.headers.get('content-length')) || 0;
  if (!size || !response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onFraction(Math.min(1, received / size));
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** The record's bytes, as this browser received them. */
async function download(url, onFraction) {
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new DownloadFailed(0); // the network, not the server
  }
  if (!response.ok) throw new DownloadFailed(response.status);
  try {
    return await readBody(response, onFraction);
  } catch {
    throw new DownloadFailed(0);
  }
}

/** "pass", "fail" or "skip" (every failure says the check was not evaluated). */
function outcome(failures) {
  if (!failures.length) return 'pass';
  return failures.every((f) => f.startsWith(NOT_EVALUATED)) ? 'skip' : 'fail';
}

class VerifyPage {
  constructor(root) {
    this.root = root;
    this.button = root.querySelector('[data-role="start"]');
    this.status = root.querySelector('[data-role="status"]');
    this.bar = root.querySelector('[data-role="progress"]');
    this.verdict = root.querySelector('[data-role="verdict"]');
    this.summary = root.querySelector('[data-role="summary"]');
    this.items = new Map([...document.querySelectorAll('#verify-checks [data-check]')]
      .map((li) => [Number(li.dataset.check), li]));
  }

  progress(fraction) {
    show(this.bar, true);
    this.bar.value = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  }

  reset() {
    for (const li of this.items.values()) {
      li.className = 'check check-pending';
      say(li.querySelector('[data-role="check-status"]'), message('waiting'));
      li.querySelector('[data-role="details"]').replaceChildren();
    }
    this.verdict.className = 'verdict hidden';
    delete this.verdict.dataset.ok;
    show(this.summary, false);
    say(this.status, '');
  }

  title(n) {
    const li = this.items.get(n);
    return li ? li.querySelector('.check-title').textContent.trim() : String(n);
  }

  showCheck(n, failures) {
    const li = this.items.get(n);
    if (!li) return;
    const result = outcome(failures);
    li.className = `check check-${result}`;
    say(li.querySelector('[data-role="check-status"]'), message(result));
    const details = li.querySelector('[data-role="details"]');
    details.replaceChildren(...failures.slice(0, MAX_DETAILS).map((f) => element('li', '',
      f.startsWith(NOT_EVALUATED) ? f.slice(NOT_EVALUATED.length) : f)));
    if (failures.length > MAX_DETAILS) {
      const more = failures.length - MAX_DETAILS;
      details.append(element('li', 'muted', message('more', { count: more })));
    }
  }

  showVerdict(report) {
    const failed = Object.keys(report.checks).map(Number).filter((n) => report.checks[n].length);
    this.verdict.className = `verdict ${report.ok ? 'verdict-ok' : 'verdict-bad'}`;
    const head = element('strong', 'verdict-head', message(report.ok ? 'valid' : 'invalid'));
    const lines = report.ok ? [element('p', '', message('all_passed', { count: this.items.size }))]
      : failed.map((n) => {
        const line = element('p');
        const link = element('a', '', message('failed_check', { check: n, title: this.title(n) }));
        link.href = `#check-${n}`;
        line.append(link);
        return line;
      });
    this.verdict.replaceChildren(head, ...lines);
    this.verdict.dataset.ok = report.ok ? 'true' : 'false';
    show(this.verdict, true);
    this.showSummary(report);
  }

  showSummary(report) {
    const fact = (name) => this.summary.querySelector(`[data-fact="${name}"]`);
    say(fact('cast'), String(report.cast));
    say(fact('events'), String(report.events));
    say(fact('fingerprint'), report.fingerprint ?? message('none'));
    say(fact('head'), report.head ?? message('none'));
    const counts = this.summary.querySelector('[data-role="counts"]');
    counts.replaceChildren();
    if (report.contests) {
      for (const contest of report.contests) {
        const row = element('div', 'verified-contest');
        row.append(element('strong', '', contest.title));
        const list = element('ul', 'verified-options');
        for (const option of contest.options) {
          const item = element('li', '', `${option.title}: `);
          item.append(element('strong', '', String(option.count)));
          list.append(item);
        }
        row.append(list);
        counts.append(row);
      }
    } else {
      counts.append(element('p', 'muted', message('no_counts')));
    }
    show(this.summary, true);
  }

  async run() {
    this.button.disabled = true;
    this.reset();
    try {
      say(this.status, message('downloading'));
      this.progress(0);
      const bytes = await download(this.root.dataset.recordUrl, (f) => this.progress(f * DOWNLOAD));
      const started = performance.now();
      let checked = 0;
      const report = await verifyInBrowser(bytes, {
        workerUrl: this.root.dataset.workerUrl,
        onProgress: async (done, total) => {
          say(this.status, message('scanning', { done, total }));
          this.progress(DOWNLOAD + SCAN * (done / total));
          await nextFrame();
        },
        onCheck: async (n, failures) => {
          checked += 1;
          say(this.status, message('checking', { check: n }));
          this.showCheck(n, failures);
          this.progress(DOWNLOAD + SCAN + (1 - DOWNLOAD - SCAN) * (checked / this.items.size));
          await nextFrame();
        },
      });
      const ms = performance.now() - started;
      this.root.dataset.verifiedMs = String(Math.round(ms));
      const seconds = (ms / 1000).toLocaleString(document.documentElement.lang,
        { minimumFractionDigits: 1, maximumFractionDigits: 1 });
      say(this.status, message('done', { seconds }));
      this.showVerdict(report);
    } catch (err) {
      say(this.status, '');
      this.verdict.className = 'verdict verdict-bad';
      this.verdict.dataset.ok = 'error';
      let text = message('error', { detail: err.message });
      if (err instanceof DownloadFailed) {
        text = err.status ? message('download_failed', { status: err.status }) : message('network');
      }
      this.verdict.replaceChildren(element('p', '', text));
      show(this.verdict, true);
    } finally {
      show(this.bar, false);
      this.button.disabled = false;
      say(this.button, message('again'));
    }
  }
}

const root = document.getElementById('verify-round');
if (root) {
  const page = new VerifyPage(root);
  page.button.addEventListener('click', () => page.run());
  page.button.disabled = false;
}
