// The ballot a delegate fills in, built from the round's manifest
// (PROTOCOL §5.1). An agree/disagree contest is a row of two large toggle
// buttons (tapping the chosen one again leaves the unit blank); any other
// contest is a list of large checkboxes whose "at most max" is enforced by
// disabling the rest once max are ticked.

import { cloneTemplate } from './text.js';

const AGREE_DISAGREE = ['agree', 'disagree'];

/** True for the per-unit contest shape: options [agree, disagree], 0..1. */
export function isAgreeDisagree(contest) {
  return contest.max === 1 && contest.options.length === 2
    && contest.options.every((o, j) => o.id === AGREE_DISAGREE[j]);
}

export class BallotForm {
  /**
   * @param {HTMLElement} list  the <ol> the contests go in
   * @param {object} manifest   the election object's manifest
   * @param {(key: string, vars?: object) => string} t  the page's texts
   * @param {{choices?: number[][]|null, onChange?: (choices: number[][]) => void}} options
   *   choices to start from (e.g. kept over a reload), and a callback after each change
   */
  constructor(list, manifest, t, { choices = null, onChange = () => {} } = {}) {
    this.list = list;
    this.contests = manifest.contests;
    this.roundTitle = manifest.title;
    this.t = t;
    this.onChange = onChange;
    this.selected = this.contests.map((c, i) => new Set(choices?.[i] ?? []));
    list.replaceChildren(...this.contests.map((c, i) => this.renderContest(c, i)));
  }

  /** The help line above the ballot. */
  help() {
    const other = this.contests.find((c) => !isAgreeDisagree(c));
    return other ? this.t('help_choose', { k: other.max }) : this.t('help_per_unit');
  }

  renderContest(contest, i) {
    return isAgreeDisagree(contest) ? this.renderToggle(contest, i) : this.renderChoose(contest, i);
  }

  renderToggle(contest, i) {
    const item = cloneTemplate('tpl-toggle');
    item.querySelector('.contest-title').textContent = contest.title;
    item.querySelector('.toggle-group').setAttribute('aria-label', contest.title);
    const buttons = [...item.querySelectorAll('.toggle')];
    const chosen = this.selected[i];
    const update = () => {
      buttons.forEach((b) => {
        const k = contest.options.findIndex((o) => o.id === b.dataset.option);
        b.setAttribute('aria-pressed', String(chosen.has(k)));
      });
      item.classList.toggle('answered', chosen.size > 0);
    };
    buttons.forEach((button) => {
      const j = contest.options.findIndex((o) => o.id === button.dataset.option);
      button.addEventListener('click', () => {
        const wasOn = chosen.has(j);
        chosen.clear();
        if (!wasOn) chosen.add(j);
        update();
        this.onChange(this.choices());
      });
    });
    update();
    return item;
  }

  renderChoose(contest, i) {
    const item = cloneTemplate('tpl-choose');
    const title = item.querySelector('.contest-title');
    title.textContent = contest.title;
    title.classList.toggle('hidden', contest.title === this.roundTitle); // already the heading
    const counter = item.querySelector('.counter');
    const boxes = contest.options.map((option, j) => {
      const row = cloneTemplate('tpl-check');
      row.querySelector('.option-title').textContent = option.title;
      const box = row.querySelector('input');
      box.checked = this.selected[i].has(j);
      box.addEventListener('change', () => {
        if (box.checked) this.selected[i].add(j); else this.selected[i].delete(j);
        update();
        this.onChange(this.choices());
      });
      item.querySelector('.check-list').append(row);
      return box;
    });
    const update = () => {
      const full = this.selected[i].size >= contest.max;
      boxes.forEach((box) => {
        box.disabled = full && !box.checked;
        box.closest('.check').classList.toggle('checked', box.checked);
      });
      counter.textContent = this.t('counter', { n: this.selected[i].size, k: contest.max });
    };
    update();
    return item;
  }

  /** The first contest with fewer choices than its minimum, as a message. */
  problem() {
    const i = this.contests.findIndex((c, k) => this.selected[k].size < c.min);
    return i < 0 ? null : this.t('too_few', { min: this.contests[i].min, title: this.contests[i].title });
  }

  /** choices[i] = the selected option indices of contest i (encryptBallot's input). */
  choices() {
    return this.selected.map((s) => [...s].sort((a, b) => a - b));
  }

  /** [{name, choice}] rows for the review step. */
  summary() {
    return this.contests.flatMap((contest, i) => {
      const chosen = [...this.selected[i]].sort((a, b) => a - b);
      if (isAgreeDisagree(contest)) {
        const choice = chosen.length ? this.t(contest.options[chosen[0]].id) : this.t('blank');
        return [{ name: contest.title, choice, blank: chosen.length === 0 }];
      }
      if (!chosen.length) return [{ name: contest.title, choice: this.t('none_chosen'), blank: true }];
      return chosen.map((j) => ({ name: contest.options[j].title, choice: this.t('chosen'), blank: false }));
    });
  }
}
