/**
 * What to do after a Graph request did not succeed. Pure: the caller passes the status, headers and
 * the clock; the answer says whether the failure is temporary and how long to wait.
 */
export interface GraphFailure {
  /** HTTP status, absent when the request failed before an answer (network error). */
  status?: number;
  /** Node's error code for a network failure (ECONNRESET, ETIMEDOUT, …), or 'EBADBODY' for an unreadable 200. */
  networkCode?: string;
  /** The Retry-After header as sent (seconds or an HTTP date). */
  retryAfter?: string | null;
  /** A 401 was already answered by renewing the token in this request's retries. */
  tokenRenewed?: boolean;
}

export type GraphFailureAction =
  /** Temporary: wait this long (Retry-After), then retry. */
  | { action: 'wait'; ms: number }
  /** Temporary: retry after an exponential backoff with jitter. */
  | { action: 'backoff' }
  /** Get a new token and retry once. */
  | { action: 'renew-token' }
  /** Permanent for this tenant: retrying cannot help. */
  | { action: 'stop'; reason: 'forbidden' | 'unauthorized' | 'bad-request' | 'not-found' | 'other' };

const TEMPORARY_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'EBADBODY']);

/** Retry-After in milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const t = value.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const at = /^[A-Za-z]{3}, /.test(t) ? Date.parse(t) : NaN; // IMF-fixdate: `Wed, 21 Oct 2015 07:28:00 GMT`
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

export function classifyGraphFailure(f: GraphFailure, nowMs: number): GraphFailureAction {
  if (f.status === undefined) return f.networkCode && TEMPORARY_NETWORK.has(f.networkCode) ? { action: 'backoff' } : { action: 'stop', reason: 'other' };
  switch (f.status) {
    case 429:
    case 503:
    case 504: {
      const wait = retryAfterMs(f.retryAfter, nowMs);
      return wait === null ? { action: 'backoff' } : { action: 'wait', ms: wait };
    }
    case 401:
      return f.tokenRenewed ? { action: 'stop', reason: 'unauthorized' } : { action: 'renew-token' };
    case 403:
      return { action: 'stop', reason: 'forbidden' };
    case 400:
      return { action: 'stop', reason: 'bad-request' };
    case 404:
      return { action: 'stop', reason: 'not-found' };
    default:
      return { action: 'stop', reason: 'other' };
  }
}

/** "Is this error temporary?": worth retrying the same request later. */
export function isTemporary(f: GraphFailure, nowMs = 0): boolean {
  const a = classifyGraphFailure(f, nowMs).action;
  return a === 'wait' || a === 'backoff';
}

/** Exponential backoff with full jitter: a random wait in [0, min(max, base * 2^attempt)]. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: number): number {
  return Math.floor(random * Math.min(maxMs, baseMs * 2 ** attempt));
}
