import { parse } from 'lossless-json';
import { sleepUnlessAborted } from '../common/sleep';
import { Cloud } from '../carriers/tenant.entity';
import { backoffMs, classifyGraphFailure, GraphFailure } from './graph-failure';
import { GraphHttp, GraphHttpResponse, NetworkError } from './graph-http';
import { SlidingWindowLimiter } from './rate-limiter';

export interface TenantTarget {
  tenantId: string;
  cloud: Cloud;
}

/** App-only tokens for a customer tenant. `renew` asks for a new token instead of the cached one. */
export interface TokenSource {
  getToken(target: TenantTarget, renew: boolean): Promise<string>;
}

export interface RetrySettings {
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Retries of one request (429/503/504/network) before the tenant is given up for this run. */
  maxRetries: number;
}

/** Pulling this tenant cannot go on in this run. `permanent`: retrying later will not help either. */
export class TenantPullError extends Error {
  constructor(readonly tenantId: string, readonly permanent: boolean, message: string) {
    super(message);
    this.name = 'TenantPullError';
  }
}

/**
 * The pull was asked to stop (a stop signal): it ends at a page boundary or in a wait between
 * retries, with every page before committed; the next pull of the window resumes there. A tenant
 * pull that cannot go on in this run, and not a permanent one.
 */
export class PullStopped extends TenantPullError {
  constructor(tenantId: string) {
    super(tenantId, false, `tenant ${tenantId}: stopped by a stop signal; the next pull of this window resumes where it stopped`);
    this.name = 'PullStopped';
  }
}

/** Throws PullStopped once `signal` has been aborted. */
export function checkNotStopped(tenantId: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PullStopped(tenantId);
}

export interface PageText {
  text: string;
  /** Rows in `value`; null when the page has no value array. */
  rows: number | null;
  nextLink: string | null;
}

export interface ClientDeps {
  now: () => number;
  /** Waits ms, or less once `signal` is aborted. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
}

const realDeps: ClientDeps = { now: Date.now, sleep: sleepUnlessAborted, random: Math.random };

/** `{"error":{"code","message"}}` of a Graph error answer, as far as it can be read. */
function graphError(body: string): { code?: string; message?: string } {
  try {
    const e = (JSON.parse(body) as { error?: { code?: string; message?: string } }).error;
    return { code: e?.code, message: e?.message?.split('\n')[0] };
  } catch {
    return {};
  }
}

/**
 * Graph for one customer tenant: every request waits for the tenant's rate limiter, carries a token
 * from the token source, and is retried as the failure classifier says (Retry-After, backoff with
 * jitter, one token renewal on 401). A permanent failure throws a TenantPullError naming the tenant.
 */
export class GraphTenantClient {
  /** 429 answers met so far (Graph throttling), read and reset by takeThrottled(). */
  private throttled = 0;

  constructor(
    readonly target: TenantTarget,
    private readonly tokens: TokenSource,
    private readonly http: GraphHttp,
    private readonly limiter: SlidingWindowLimiter,
    private readonly retry: RetrySettings,
    private readonly deps: ClientDeps = realDeps,
  ) {}

  /** How many 429 answers were met since the last call (for the pull's record and /metrics). */
  takeThrottled(): number {
    const n = this.throttled;
    this.throttled = 0;
    return n;
  }

  /** GETs a Graph URL (a function call or a nextLink, verbatim) and parses it with lossless-json. */
  async getJson(url: string): Promise<Record<string, unknown>> {
    return (await this.getPage(url)).doc;
  }

  /**
   * The parsed document and its text (kept so the raw rows can be stored exactly as sent).
   * `signal`: once aborted, a wait between retries ends early and PullStopped is thrown.
   */
  async getPage(url: string, signal?: AbortSignal): Promise<{ doc: Record<string, unknown>; text: string }> {
    return this.get(url, (body) => parse(body), signal);
  }

  /**
   * A page of rows as text, for PostgreSQL to read (jsonb keeps numbers exact): checked here with
   * the native JSON parser, whose numbers are never used, so only its outline is returned.
   */
  async getPageText(url: string, signal?: AbortSignal): Promise<PageText> {
    return this.get(url, (body) => {
      const doc = JSON.parse(body) as unknown;
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return doc;
      const { value, '@odata.nextLink': nextLink } = doc as { value?: unknown; '@odata.nextLink'?: unknown };
      return { rows: Array.isArray(value) ? value.length : null, nextLink: typeof nextLink === 'string' ? nextLink : null };
    }, signal).then(({ doc, text }) => ({ ...(doc as Omit<PageText, 'text'>), text }));
  }

  private async get(url: string, read: (body: string) => unknown, signal?: AbortSignal): Promise<{ doc: Record<string, unknown>; text: string }> {
    const tenant = this.target.tenantId;
    let renewed = false;
    let renewNext = false;
    let retries = 0;
    let badBody = '';
    for (;;) {
      const token = await this.token(renewNext);
      renewNext = false;
      await this.limiter.acquire();
      let failure: GraphFailure;
      let answer: GraphHttpResponse | undefined;
      try {
        answer = await this.http.get(url, token);
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        answer = undefined;
        failure = { networkCode: error.code };
      }
      if (answer) {
        if (answer.status === 200) {
          try {
            const doc = read(answer.body);
            if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) return { doc: doc as Record<string, unknown>, text: answer.body };
            badBody = 'not a JSON object';
          } catch (error) {
            badBody = (error as Error).message; // an unreadable 200 (cut off by a proxy): retried below
          }
          failure = { networkCode: 'EBADBODY' };
        } else {
          if (answer.status === 429) this.throttled += 1;
          const ra = answer.headers['retry-after'];
          failure = { status: answer.status, retryAfter: Array.isArray(ra) ? ra[0] : ra, tokenRenewed: renewed };
        }
      }
      const action = classifyGraphFailure(failure!, this.deps.now());
      switch (action.action) {
        case 'renew-token':
          renewed = true;
          renewNext = true;
          continue;
        case 'wait':
        case 'backoff':
          if (retries >= this.retry.maxRetries) {
            throw new TenantPullError(tenant, false, `tenant ${tenant}: Graph still failing after ${retries} retries (${describe(failure!, answer, badBody)}); run the pull again to resume`);
          }
          // a stop signal cuts the wait short (Retry-After can be minutes): the pull stops here
          checkNotStopped(tenant, signal);
          await this.deps.sleep(action.action === 'wait' ? action.ms : backoffMs(retries, this.retry.backoffBaseMs, this.retry.backoffMaxMs, this.deps.random()), signal);
          checkNotStopped(tenant, signal);
          retries += 1;
          continue;
        case 'stop': {
          const detail = describe(failure!, answer);
          if (action.reason === 'forbidden') {
            throw new TenantPullError(tenant, true, `tenant ${tenant}: Graph refused access (${detail}); an admin of tenant ${tenant} must grant the app the application permission CallRecords.Read.All (admin consent)`);
          }
          if (action.reason === 'unauthorized') {
            throw new TenantPullError(tenant, true, `tenant ${tenant}: Graph rejected a freshly renewed token (${detail}); check that the app is consented in tenant ${tenant} and has CallRecords.Read.All`);
          }
          throw new TenantPullError(tenant, true, `tenant ${tenant}: Graph answered ${detail} for ${url.split('?')[0]}`);
        }
      }
    }
  }

  private async token(renew: boolean): Promise<string> {
    try {
      return await this.tokens.getToken(this.target, renew);
    } catch (error) {
      if (error instanceof TenantPullError) throw error;
      const msg = String((error as Error)?.message ?? error).split('\n')[0];
      throw new TenantPullError(this.target.tenantId, true, `tenant ${this.target.tenantId}: cannot get a token (${msg}); the app must be consented in tenant ${this.target.tenantId} with CallRecords.Read.All`);
    }
  }
}

function describe(f: GraphFailure, answer?: GraphHttpResponse, badBody = ''): string {
  if (f.status === undefined) return f.networkCode === 'EBADBODY' ? `an unreadable answer: ${badBody}` : `network error ${f.networkCode}`;
  const e = answer ? graphError(answer.body) : {};
  return [`${f.status}`, e.code, e.message].filter(Boolean).join(' ');
}
