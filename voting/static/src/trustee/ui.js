// DOM helpers of the trustee pages: translated messages (rendered by the
// server into #trustee-messages), status lines, progress bars, and turning
// failed requests into those messages.

/** The translated text for `key`, with {placeholders} filled from `values`. */
export function message(key, values = {}) {
  const el = document.querySelector(`#trustee-messages [data-msg="${key}"]`);
  const text = el ? el.textContent.trim() : key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
}

/** Show or hide an element. */
export function show(el, visible = true) {
  if (el) el.classList.toggle('hidden', !visible);
}

/** Set an element's text (empty hides nothing: the element keeps its place). */
export function say(el, text) {
  if (el) el.textContent = text;
}

/** A progress bar showing `fraction` in [0, 1]. */
export function progress(el, fraction) {
  if (!el) return;
  show(el, true);
  el.value = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
}

/** Let the browser paint before the next chunk of work. */
export function nextFrame() {
  return new Promise((resolve) => { setTimeout(resolve, 0); });
}

/**
 * The message for a failed request ({ok, status, body} of common.js):
 * the server's own words when it sent JSON, else one chosen by status.
 */
export function failure(response) {
  // No trustee session any more (e.g. the server restarted): web/errors.py
  // answers 403 trustee_session_ended; reopening the invitation link helps.
  const code = response.body && response.body.error && response.body.error.code;
  if (response.status === 403 || code === 'trustee_session_ended') return message('forbidden');
  if (response.status === 429) return message('too_many');
  const detail = response.body && response.body.error && response.body.error.message;
  return detail ? `${message('refused')} (${detail})` : `${message('refused')} (${response.status})`;
}
