// The phone's conversation with the server (voting/web/api.py): open
// rounds, a credential's status, casting, challenging. Only public values
// travel: the card token never leaves this module's callers, and an audit
// carries no credential.
//
// A ballot that could not be confirmed is kept in sessionStorage, keyed by
// round and credential, as the exact bytes that were sent, so that Retry
// sends the same ballot again and gets the same receipt.

import { getJson } from '../pages/common.js';
import { readAuditReply, readCastReply, readOpenRounds, readStatus } from './responses.js';

/** Thrown when the server answers a read with an error status. */
export class ServerError extends Error {
  constructor(status, code) {
    super(`server error ${status} (${code})`);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  /** @param {{open: string, status: string, cast: string, audit: string}} urls */
  constructor(urls) {
    this.urls = urls;
  }

  /**
   * The open rounds, each with its election object (checked: responses.js).
   * Network errors and malformed replies reject.
   */
  async openRounds() {
    const res = await getJson(this.urls.open);
    if (!res.ok || !res.body) throw new ServerError(res.status, res.body?.error?.code);
    return readOpenRounds(res.body);
  }

  /**
   * {known, revoked, receipt, state, board_url?, qr?} of one credential,
   * checked. The credential goes in the POST body, never in the URL, which
   * access and proxy logs record with the phone's address.
   */
  async status(roundId, credential) {
    const res = await post(fill(this.urls.status, roundId), JSON.stringify({ credential }));
    if (!res.ok || !res.body) throw new ServerError(res.status, res.body?.error?.code);
    return readStatus(res.body);
  }

  /**
   * POST the ballot's exact bytes; resolves to {ok, status, body}, rejects on
   * a network failure. A success whose body is not a well-typed receipt
   * comes back with body null (the page then offers to send the same bytes
   * again).
   */
  async cast(roundId, body) {
    const res = await post(fill(this.urls.cast, roundId), body);
    if (!res.ok) return res;
    let receipt = null;
    try { receipt = readCastReply(res.body); } catch { receipt = null; }
    return { ...res, body: receipt };
  }

  /**
   * POST a challenged encryption's audit (PROTOCOL §8.6): its exact bytes,
   * no credential, no cookie. Resolves to {ok, status, body} as cast does,
   * body {round, seq, code, check_url, qr} checked on success (null if not).
   */
  async audit(roundId, body) {
    const res = await post(fill(this.urls.audit, roundId), body);
    if (!res.ok) return res;
    let reply = null;
    try { reply = readAuditReply(res.body); } catch { reply = null; }
    return { ...res, body: reply };
  }
}

/**
 * POST a JSON text; resolves to {ok, status, body} (body null when the reply
 * is not JSON), rejects on a network failure. No cookies: the API needs
 * none, and none then ties a credential to this browser's session.
 */
async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
    credentials: 'omit',
    cache: 'no-store',
  });
  let json = null;
  try { json = await response.json(); } catch { json = null; }
  return { ok: response.ok, status: response.status, body: json };
}

function fill(template, roundId) {
  return template.replace('__round__', encodeURIComponent(roundId));
}

const memory = new Map();

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: keep ballots in memory for this page
  }
}

/** Encrypted ballots waiting for the server's receipt. */
export const pending = {
  key: (roundId, credential) => `voting.pending.${roundId}.${credential}`,
  get(roundId, credential) {
    const key = this.key(roundId, credential);
    return storage()?.getItem(key) ?? memory.get(key) ?? null;
  },
  put(roundId, credential, body) {
    const key = this.key(roundId, credential);
    const store = storage();
    try {
      if (store) { store.setItem(key, body); return; }
    } catch { /* quota: fall back to memory */ }
    memory.set(key, body);
  },
  drop(roundId, credential) {
    const key = this.key(roundId, credential);
    memory.delete(key);
    storage()?.removeItem(key);
  },
};
