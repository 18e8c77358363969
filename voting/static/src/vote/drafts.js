// The choices being filled in, kept per round in sessionStorage so that a
// reload or a language switch mid-ballot (a new page load in the same tab)
// finds them again. Stored: the round id and, per contest, the chosen
// option indices; never the card token, the credential or anything derived
// from them. Dropped once the ballot is cast, and all of them when another
// card is opened on this phone (a help-desk phone serves several delegates:
// nobody may find another's choices).

const PREFIX = 'voting.choices.';
/** The round whose ballot form is on screen, to return to it after a reload. */
const CURRENT = 'voting.choices-current';
/** Set by the language links: the next page load continues this one. */
const CARRY = 'voting.choices-carry';

function defaultStorage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: choices last as long as the page
  }
}

/**
 * `choices` if it fits the manifest's contests (an array per contest of
 * distinct option indices, at most `max`), else null.
 */
export function fitChoices(choices, contests) {
  if (!Array.isArray(choices) || choices.length !== contests.length) return null;
  const fits = choices.every((chosen, i) => Array.isArray(chosen)
    && chosen.length <= contests[i].max
    && new Set(chosen).size === chosen.length
    && chosen.every((j) => Number.isInteger(j) && j >= 0 && j < contests[i].options.length));
  return fits ? choices.map((chosen) => [...chosen].sort((a, b) => a - b)) : null;
}

export class Drafts {
  /** @param {Storage|null} storage  sessionStorage by default */
  constructor(storage = defaultStorage()) {
    this.storage = storage;
  }

  /** The saved choices of `roundId` that fit `contests`, or null. */
  get(roundId, contests) {
    let saved = null;
    try {
      saved = JSON.parse(this.storage?.getItem(PREFIX + roundId) ?? 'null');
    } catch {
      saved = null;
    }
    return fitChoices(saved, contests);
  }

  /** Keep `choices` (option indices per contest) for `roundId`. */
  put(roundId, choices) {
    try {
      this.storage?.setItem(PREFIX + roundId, JSON.stringify(choices));
    } catch { /* quota or disabled: the choices stay on screen only */ }
  }

  /** `roundId`'s ballot form is on screen: a reload returns to it. */
  enter(roundId) {
    try {
      this.storage?.setItem(CURRENT, roundId);
    } catch { /* as put */ }
  }

  /** Forget `roundId`'s choices (cast, or no longer open). */
  drop(roundId) {
    this.storage?.removeItem(PREFIX + roundId);
    if (this.current() === roundId) this.storage?.removeItem(CURRENT);
  }

  /** The round whose ballot was on screen when the page was left, or null. */
  current() {
    return this.storage?.getItem(CURRENT) ?? null;
  }

  /** The ballot form was left on purpose: do not return to it on reload. */
  leave() {
    this.storage?.removeItem(CURRENT);
  }

  /** The next page load (a language switch) continues this one. */
  carry() {
    try {
      this.storage?.setItem(CARRY, '1');
    } catch { /* as put */ }
  }

  /**
   * At page start: keep the choices only if this load continues the last
   * one in this tab (`navigation`: 'reload' or 'back_forward', or a language
   * link was followed); any other arrival (a card's QR code scanned, an
   * address typed) may be another delegate's, so every choice is forgotten.
   */
  start(navigation) {
    const carried = this.storage?.getItem(CARRY) === '1';
    this.storage?.removeItem(CARRY);
    if (!carried && navigation !== 'reload' && navigation !== 'back_forward') this.clear();
  }

  /** Forget every round's choices (another card is opened). */
  clear() {
    if (!this.storage) return;
    const keys = [];
    for (let k = 0; k < this.storage.length; k++) {
      const key = this.storage.key(k);
      if (key === CURRENT || key === CARRY || key.startsWith(PREFIX)) keys.push(key);
    }
    for (const key of keys) this.storage.removeItem(key);
  }
}
