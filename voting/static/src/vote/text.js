// The page's texts, rendered (and translated) by the server into
// <template id="vote-text"> as <span data-key="…">; the script never
// carries UI text of its own.

/**
 * Read a text template into a lookup `t(key, vars)`, which fills
 * `{name}` placeholders from `vars`.
 *
 * @param {string} id  the <template> element's id
 * @returns {(key: string, vars?: object) => string}
 */
export function loadText(id) {
  const texts = {};
  const template = document.getElementById(id);
  for (const el of template.content.querySelectorAll('[data-key]')) {
    texts[el.dataset.key] = el.textContent.trim();
  }
  return (key, vars = {}) => (texts[key] ?? key)
    .replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** A fresh copy of a <template>'s first element. */
export function cloneTemplate(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}
