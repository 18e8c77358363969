// "Check an encryption" on the public board (/board/<round>/audits/<seq>,
// templates/board/audit.html): bundled into voting/static/dist/audit-check.js.
// Fetches the audit and the round's election object, runs checkAudit
// (PROTOCOL §8.6, check 19 for one audit) in this browser, and shows the
// encryption code it computes, PASS or FAIL, and the revealed choices in
// words: the manifest's contest and option titles, "Agree"/"Disagree" for
// a unit's contest as the phone shows them. Every text is translated by
// the server (#audit-messages); this file only places it.

import { AuditError, checkAudit, shortCode } from '../audit.js';
import { getJson } from './common.js';
import { isAgreeDisagree } from '../vote/ballot_form.js';

const root = document.getElementById('audit-check');
const part = (role) => root.querySelector(`[data-role="${role}"]`);

/** The translated text for `key`, with {placeholders} filled from `values`. */
function message(key, values = {}) {
  const el = document.querySelector(`#audit-messages [data-msg="${key}"]`);
  const text = el ? el.textContent.trim() : key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
}

/** Contest `contest`'s chosen options in words. */
function inWords(contest, chosen) {
  if (!chosen.length) return message('no_choice');
  if (isAgreeDisagree(contest)) return message(contest.options[chosen[0]].id);
  return chosen.map((j) => contest.options[j].title).join(', ');
}

function choiceRow(contest, chosen) {
  const item = document.createElement('li');
  item.classList.toggle('blank', chosen.length === 0);
  const name = document.createElement('span');
  name.className = 'audit-contest';
  name.textContent = contest.title;
  const words = document.createElement('strong');
  words.className = 'audit-choice';
  words.textContent = inWords(contest, chosen);
  item.append(name, ': ', words);
  return item;
}

function verdict(passed, detail) {
  const box = part('verdict');
  box.textContent = message(passed ? 'pass' : 'fail');
  box.classList.remove('hidden');
  box.classList.toggle('verdict-pass', passed);
  box.classList.toggle('verdict-fail', !passed);
  root.dataset.verdict = passed ? 'pass' : 'fail';
  if (detail) {
    const reason = document.createElement('p');
    reason.className = 'verdict-reason';
    reason.textContent = message('reason', { detail });
    box.append(reason);
  }
}

/** The code of the ciphertexts as published, even when the audit does not verify. */
function codeOf(audit) {
  try {
    return shortCode(audit.ciphertexts);
  } catch {
    return '····-····';
  }
}

async function run() {
  let res;
  try {
    res = await getJson(root.dataset.jsonUrl);
  } catch {
    part('status').textContent = message('network');
    return;
  }
  if (!res.ok || !res.body) {
    part('status').textContent = message('download_failed', { status: res.status });
    return;
  }
  const { election, audit } = res.body;
  const start = performance.now();
  let checked;
  try {
    checked = checkAudit(election, audit);
  } catch (err) {
    part('code').textContent = codeOf(audit);
    verdict(false, err instanceof AuditError ? err.message : String(err));
    part('status').textContent = '';
    return;
  }
  const end = performance.now();
  performance.measure('voting:audit-check', { start, end }); // for benchmarks (User Timing)
  const ms = Math.round(end - start);
  root.dataset.ms = String(ms);
  part('code').textContent = checked.code;
  verdict(true);
  const { contests } = election.manifest;
  part('choices').replaceChildren(...contests.map((c, i) => choiceRow(c, checked.choices[i])));
  part('result').classList.remove('hidden');
  part('status').textContent = message('done', { ms });
}

run();
