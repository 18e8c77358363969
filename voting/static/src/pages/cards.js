// The chair's cards page (templates/cards/conference.html): issuing cards
// answers with their sheet as a download, so the page itself stays, and
// without this script its figures would still show the cards before the
// issue until a reload. Here the form is sent by fetch, the sheet is saved
// from the answer (the same bytes, never kept by this page), and the
// figures are read again from the server. Without fetch, the form posts as
// usual.

const form = document.querySelector('form[data-issue-form]');
const done = document.getElementById('issue-done');
const lost = document.getElementById('issue-lost');
const SUMMARY = 'section[aria-labelledby="cards-summary"]';

/** The file name of a Content-Disposition header, or a default. */
export function attachmentName(header) {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header || '');
  return match ? decodeURIComponent(match[1]) : 'ballot-cards.html';
}

/** Save a downloaded answer under its own name. */
async function save(response) {
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = attachmentName(response.headers.get('Content-Disposition'));
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000); // the codes leave memory
}

/** Read the figures (cards, spares, revoked, coverage) again from the server. */
async function refreshSummary() {
  const response = await fetch(window.location.pathname, { credentials: 'same-origin',
    cache: 'no-store' });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), 'text/html');
  const fresh = page.querySelector(SUMMARY);
  const shown = document.querySelector(SUMMARY);
  if (fresh && shown) shown.replaceWith(document.importNode(fresh, true));
}

async function issue(event) {
  event.preventDefault();
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  done.classList.add('hidden');
  lost.classList.add('hidden');
  let response;
  try {
    response = await fetch(form.action, { method: 'POST', body: new FormData(form),
      credentials: 'same-origin', cache: 'no-store' });
  } catch {
    // Maybe issued, maybe not: never send it again by itself.
    lost.classList.remove('hidden');
    button.disabled = false;
    return;
  }
  if (!response.ok || !/^attachment/i.test(response.headers.get('Content-Disposition') || '')) {
    form.submit(); // refused, nothing issued: the server's page says why
    return;
  }
  await save(response);
  done.classList.remove('hidden');
  button.disabled = false;
  try { await refreshSummary(); } catch { /* the figures stay until a reload */ }
}

if (form && window.fetch && window.URL?.createObjectURL && done && lost) {
  form.addEventListener('submit', issue);
}
