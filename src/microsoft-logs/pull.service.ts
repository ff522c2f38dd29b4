import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { parse as parseJson } from 'lossless-json';
import { CarriersService } from '../carriers/carriers.service';
import { Cloud } from '../carriers/tenant.entity';
import { invalidInput, notFound } from '../common/ocrecon-error';
import { AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction';
import { checkNotStopped, GraphTenantClient, PullStopped, TenantPullError } from './graph-client';
import { GraphConnector } from './graph-connector';
import { toDialoutAggregate, toStoredRow, StoredCallRow, StoredDialoutAggregate } from './graph-row';
import { holdsNulEscape, jsonbRefuses, ValueError } from './graph-values';
import { functionUrl, parseWindowBound, PULL_SOURCES, PullSource, splitWindow, Window, zText } from './graph-window';
import { BatchBuffers } from './copy-buffers';
import { MicrosoftSource } from './microsoft-call-row.entity';
import { FastUpsertCounts, MicrosoftLogsRepository, RAW_BATCH_IDS, UpsertCounts } from './microsoft-logs.repository';
import { mapPageDirect, mapPageStaged } from './page-bytes';
import { DirectRowHead } from './ndjson-row';
import { pageRowBounds } from './ndjson-bytes';

export interface SourceCounts {
  /** Graph calls of at most 90 days made for this source (a resumed one counts once). */
  pulls: number;
  pages: number;
  received: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** Windows not pulled again: a pull of them finished since the caller's `doneSince` (another carrier's, the same night). */
  reused?: number;
}

export interface TenantPullResult {
  tenantId: string;
  cloud: Cloud;
  ok: boolean;
  /** Why the tenant stopped (one line naming the tenant), when !ok. */
  error?: string;
  /** When !ok: trying again will not help (no consent, a request Graph refuses); else it may (still throttled or unavailable after the retries). */
  permanent?: boolean;
  /** When !ok: a stop signal ended (or kept from starting) the tenant's pull; the next pull resumes it. */
  stopped?: boolean;
  sources: Partial<Record<PullSource, SourceCounts>>;
}

export interface PullReport {
  from: string;
  to: string;
  tenants: TenantPullResult[];
  failed: number;
}

export interface PullRequest {
  tenantId?: string;
  carrierId?: string;
  from: string;
  to: string;
  /** pstn, direct-routing, dialout or all (the default). */
  source?: string;
}

export interface PullWindowRequest {
  tenantId: string;
  /** The tenant's cloud; looked up in the registry when absent. */
  cloud?: Cloud;
  from: string;
  to: string;
  source?: string;
}

/** A pull's progress; `waiting`: another process is pulling this tenant and source, this one waits for it to end. */
export type PullProgress = (e: { tenantId: string; source: PullSource; pages: number; received: number; waiting?: boolean }) => void;

const emptyCounts = (): SourceCounts => ({ pulls: 0, pages: 0, received: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 });

/**
 * Pulls Microsoft's call logs from Graph into microsoft_call_rows (and the dial-out report into its
 * aggregates), tenant by tenant. Progress is committed page by page with the rows of the page, so a
 * pull that stops (killed, throttled past its retries, refused) resumes where it stopped.
 */
@Injectable()
export class PullService implements OnApplicationShutdown {
  constructor(
    private readonly carriers: CarriersService,
    private readonly logs: MicrosoftLogsRepository,
    private readonly transactions: TransactionRunner,
    private readonly graph: GraphConnector,
    private readonly config: AppConfig,
  ) {}

  onApplicationShutdown(): void {
    this.graph.close();
  }

  /** `ocrecon pull`: every tenant of a carrier, or one tenant. A tenant that fails does not stop the others. */
  async pull(request: PullRequest, onProgress?: PullProgress, signal?: AbortSignal): Promise<PullReport> {
    if (!!request.tenantId === !!request.carrierId) throw invalidInput('pull: give either --tenant or --carrier');
    const window = this.parseWindow(request.from, request.to);
    const sources = parseSources(request.source);
    const targets = request.carrierId ? await this.carrierTenants(request.carrierId) : [await this.tenantTarget(request.tenantId!)];
    this.graph.check();
    const results = await this.pullEach(targets, window, sources, onProgress, undefined, signal);
    return { from: zText(window.fromMs), to: zText(window.toMs), tenants: results, failed: results.filter((r) => !r.ok).length };
  }

  /**
   * Several tenants, one window, OCRECON_PULL_CONCURRENCY at a time (Graph limits each tenant on its
   * own, so tenants pulled side by side add up): the nightly batch's pull of a carrier's day. A tenant
   * that fails does not stop the others; its result says why, and whether trying again can help.
   */
  async pullTenants(
    targets: { tenantId: string; cloud: Cloud }[], from: string, to: string, onProgress?: PullProgress, options: { doneSince?: Date; signal?: AbortSignal } = {},
  ): Promise<TenantPullResult[]> {
    const window = this.parseWindow(from, to);
    this.graph.check();
    return this.pullEach(targets.map((t) => ({ tenantId: t.tenantId.toLowerCase(), cloud: t.cloud })), window, [...PULL_SOURCES], onProgress, options.doneSince, options.signal);
  }

  /**
   * `doneSince`: a window of a tenant and source whose pull finished since then is not pulled again (a
   * customer tenant served by several carriers: the nightly pulls its day once, not once per carrier;
   * its log holds every operator's calls).
   * `signal`: once aborted, each tenant's pull stops at its next page or wait, and no other tenant
   * starts; those tenants' results say `stopped`.
   */
  private async pullEach(
    targets: { tenantId: string; cloud: Cloud }[], window: Window, sources: PullSource[], onProgress?: PullProgress, doneSince?: Date, signal?: AbortSignal,
  ): Promise<TenantPullResult[]> {
    const results: TenantPullResult[] = new Array(targets.length);
    let next = 0;
    const worker = async () => {
      while (next < targets.length && !signal?.aborted) {
        const i = next++;
        results[i] = await this.pullTenant(targets[i], window, sources, onProgress, doneSince, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.OCRECON_PULL_CONCURRENCY, targets.length) }, worker));
    for (let i = next; i < targets.length; i++) {
      results[i] = { ...targets[i], ok: false, stopped: true, permanent: false, error: `tenant ${targets[i].tenantId}: not pulled (stopped by a stop signal)`, sources: {} };
    }
    return results;
  }

  /**
   * One tenant, one window: the unit the nightly batch calls (for each tenant and day, and again for
   * the trailing days Microsoft may still be filling in). Throws TenantPullError when the tenant stops.
   */
  async pullWindow(request: PullWindowRequest, onProgress?: PullProgress): Promise<TenantPullResult> {
    const window = this.parseWindow(request.from, request.to);
    const target = request.cloud ? { tenantId: request.tenantId.toLowerCase(), cloud: request.cloud } : await this.tenantTarget(request.tenantId);
    this.graph.check();
    const result = await this.pullTenant(target, window, parseSources(request.source), onProgress);
    if (!result.ok) throw new TenantPullError(target.tenantId, result.permanent ?? true, result.error!);
    return result;
  }

  private async pullTenant(
    target: { tenantId: string; cloud: Cloud }, window: Window, sources: PullSource[], onProgress?: PullProgress, doneSince?: Date, signal?: AbortSignal,
  ): Promise<TenantPullResult> {
    const client = this.graph.clientFor(target);
    const result: TenantPullResult = { ...target, ok: true, sources: {} };
    try {
      for (const source of sources) {
        const counts = (result.sources[source] = emptyCounts());
        const lock = await this.logs.lockPulls(target.tenantId, source, () => onProgress?.({ tenantId: target.tenantId, source, pages: 0, received: 0, waiting: true }), signal);
        try {
          for (const chunk of splitWindow(window)) {
            // under the lock: a pull that ended while this one waited for it is seen
            if (doneSince && (await this.logs.pullDoneSince(target.tenantId, source, zText(chunk.fromMs), zText(chunk.toMs), doneSince))) {
              counts.reused = (counts.reused ?? 0) + 1;
              continue;
            }
            await this.pullChunk(client, source, chunk, counts, onProgress, signal);
          }
        } finally {
          await lock.release();
        }
      }
    } catch (error) {
      if (!(error instanceof TenantPullError)) throw error;
      result.ok = false;
      result.error = error.message;
      result.permanent = error.permanent;
      if (error instanceof PullStopped) result.stopped = true;
    }
    return result;
  }

  private async pullChunk(client: GraphTenantClient, source: PullSource, chunk: Window, counts: SourceCounts, onProgress?: PullProgress, signal?: AbortSignal): Promise<void> {
    const { tenantId, cloud } = client.target;
    const fromIso = zText(chunk.fromMs);
    const toIso = zText(chunk.toMs);
    const pull = (await this.logs.findUnfinishedPull(tenantId, source, fromIso, toIso)) ?? (await this.logs.startPull(tenantId, source, fromIso, toIso));
    let url = pull.nextLink ?? functionUrl(this.graph.graphRoot(cloud), source, chunk);
    let page = pull.pages;
    counts.pulls += 1;
    const bytePages = source === 'dialout' ? null : new BytePages(this.logs, tenantId, source);
    try {
      for (;;) {
        checkNotStopped(tenantId, signal); // between pages: every page so far is committed with the cursor
        let received: number;
        let nextLink: string | null;
        let stored: UpsertCounts & { rejected: number };
        if (source === 'dialout') {
          ({ received, nextLink, stored } = await this.storeParsedPage(client, url, source, pull.id, page, fromIso, toIso, undefined, signal));
        } else {
          // A page is mapped here from its bytes and stored with the cursor (BytePages); a page with a
          // row the byte path declines goes to PostgreSQL, which maps its rows and moves the cursor in
          // one statement; only a page with a row neither can vouch for is parsed here, row by row.
          const outline = await client.getPageText(url, signal);
          if (outline.rows === null) throw new TenantPullError(tenantId, false, `tenant ${tenantId}: Graph's answer to ${url.split('(')[0]} has no value array`);
          const mapped = await bytePages!.store(pull.id, outline.text, outline.nextLink);
          // a page jsonb cannot read (\u0000, a number past numeric's digits) is parsed here: toStoredRow refuses the row holding it
          const fast = mapped ?? (jsonbRefuses(outline.text) ? null : await this.logs.upsertPage(tenantId, source, pull.id, outline.text, outline.nextLink));
          if (fast && fast.slow.length === 0) ({ received, nextLink, stored } = { received: outline.rows, nextLink: outline.nextLink, stored: { ...fast, rejected: 0 } });
          else ({ received, nextLink, stored } = await this.storeParsedPage(client, url, source, pull.id, page, fromIso, toIso, outline.text));
        }
        page += 1;
        counts.pages += 1;
        counts.received += received;
        counts.inserted += stored.inserted;
        counts.updated += stored.updated;
        counts.unchanged += stored.unchanged;
        counts.rejected += stored.rejected;
        onProgress?.({ tenantId, source, pages: counts.pages, received: counts.received });
        if (nextLink === null) return;
        url = nextLink;
      }
    } catch (error) {
      if (error instanceof PullStopped) await this.logs.interruptPull(pull.id, `${error.message} (after ${page} pages)`).catch(() => undefined);
      else await this.logs.failPull(pull.id, (error as Error).message).catch(() => undefined);
      throw error;
    } finally {
      const throttled = client.takeThrottled();
      if (throttled > 0) await this.logs.addThrottled(pull.id, throttled).catch(() => undefined);
    }
  }

  /**
   * A page parsed with lossless-json and mapped row by row (toStoredRow), stored with the cursor in
   * one transaction: the dial-out report, and the rare call page PostgreSQL cannot map alone.
   * `text`: the page already fetched (it is not fetched again).
   */
  private async storeParsedPage(
    client: GraphTenantClient, url: string, source: PullSource, pullId: string, page: number, fromIso: string, toIso: string, text?: string, signal?: AbortSignal,
  ): Promise<{ received: number; nextLink: string | null; stored: UpsertCounts & { rejected: number } }> {
    const { tenantId } = client.target;
    let doc: Record<string, unknown>;
    if (text === undefined) ({ doc, text } = await client.getPage(url, signal));
    else doc = parseJson(text) as Record<string, unknown>;
    const values = doc.value;
    if (!Array.isArray(values)) throw new TenantPullError(tenantId, false, `tenant ${tenantId}: Graph's answer to ${url.split('(')[0]} has no value array`);
    const nextLink = typeof doc['@odata.nextLink'] === 'string' ? (doc['@odata.nextLink'] as string) : null;
    const problems: unknown[] = [];
    const calls: (StoredCallRow & { ord: number })[] = [];
    const aggregates: StoredDialoutAggregate[] = [];
    values.forEach((value, index) => {
      const r = source === 'dialout' ? toDialoutAggregate(value) : toStoredRow(value, source);
      if (!r.ok) problems.push({ page: page + 1, index, id: (value as { id?: unknown })?.id ?? null, reason: r.reason });
      else if (source === 'dialout') aggregates.push(r.row as StoredDialoutAggregate);
      else calls.push({ ...(r.row as StoredCallRow), ord: index });
    });
    const pageText = text;
    const stored = await this.transactions.run(async (tx) => {
      let c: UpsertCounts;
      if (source === 'dialout') {
        if (page === 0) await this.logs.clearDialoutWindow(tx, tenantId, fromIso, toIso);
        c = { inserted: await this.logs.insertDialoutAggregates(tx, tenantId, fromIso, toIso, aggregates), updated: 0, unchanged: 0 };
      } else c = await this.logs.upsertCallRows(tx, tenantId, calls, pageEvidence(pageText));
      await this.logs.recordPage(tx, pullId, { nextLink, received: values.length, counts: c, rejected: problems.length, problems });
      return c;
    });
    return { received: values.length, nextLink, stored: { ...stored, rejected: problems.length } };
  }

  private parseWindow(from: string, to: string): Window {
    if (!from || !to) throw invalidInput('pull: --from and --to are required');
    let window: Window;
    try {
      window = { fromMs: parseWindowBound(from, '--from'), toMs: parseWindowBound(to, '--to') };
    } catch (error) {
      if (error instanceof ValueError) throw invalidInput(`pull: ${error.message}`);
      throw error;
    }
    if (window.toMs <= window.fromMs) throw invalidInput(`pull: --to ${to} must be after --from ${from} (windows are half-open)`);
    return window;
  }

  private async tenantTarget(tenantId: string): Promise<{ tenantId: string; cloud: Cloud }> {
    const links = await this.carriers.findTenantLinks(tenantId);
    if (links.length === 0) throw notFound(`tenant ${tenantId} is not registered (ocrecon tenants add ${tenantId} --carrier …)`);
    const clouds = [...new Set(links.map((l) => l.cloud))];
    if (clouds.length > 1) throw invalidInput(`tenant ${tenantId} is registered on several clouds (${clouds.join(', ')}); fix its registration`);
    return { tenantId: links[0].tenantId, cloud: clouds[0] };
  }

  private async carrierTenants(carrierId: string): Promise<{ tenantId: string; cloud: Cloud }[]> {
    await this.carriers.requireCarrier(carrierId);
    const tenants = await this.carriers.listTenants(carrierId);
    if (tenants.length === 0) throw invalidInput(`carrier ${carrierId} has no tenants (ocrecon tenants add <tenantGuid> --carrier ${carrierId})`);
    return tenants.map((t) => ({ tenantId: t.tenantId, cloud: t.cloud }));
  }
}

/**
 * A parsed page's rows as upsertCallRows takes their evidence: the page itself (PostgreSQL finds its
 * value array), or, when it holds \u0000 (PostgreSQL's key lookup in json refuses it, while it can
 * split an array), the array of its rows' texts, found in its bytes.
 */
function pageEvidence(text: string): { json: string; isPage: boolean } {
  if (!holdsNulEscape(text)) return { json: text, isPage: true };
  const b = Buffer.from(text);
  const bounds = pageRowBounds(b, 0, b.length);
  if (bounds === null) return { json: text, isPage: true }; // not a plain page: PostgreSQL says what it cannot read
  const rows: string[] = [];
  for (let k = 0; k < bounds.length; k += 2) rows.push(b.toString('utf8', bounds[k], bounds[k + 1]));
  return { json: `[${rows.join(',')}]`, isPage: false };
}

export function parseSources(source: string | undefined): PullSource[] {
  if (source === undefined || source === 'all') return [...PULL_SOURCES];
  if ((PULL_SOURCES as readonly string[]).includes(source)) return [source as PullSource];
  throw invalidInput(`--source must be one of ${PULL_SOURCES.join(', ')} or all, got ${JSON.stringify(source)}`);
}

/**
 * The pages of a pull, mapped in Node from their bytes (page-bytes.ts). While the pull's rows are new
 * (the first pull of a day) each page is COPYed straight into microsoft_call_rows with its raw batch
 * and the cursor; once a page meets a stored id, it and every later page are staged and upserted as
 * an import batch is (a re-pull of the trailing days). Each in one transaction with the cursor. A
 * page the byte path cannot take (a row it declines) goes to the SQL page mapping (upsertPage).
 */
class BytePages {
  private direct = true;
  private readonly buffers = new BatchBuffers();
  private readonly rawBatchIds: string[] = [];
  private readonly tenant: DirectRowHead;

  constructor(private readonly logs: MicrosoftLogsRepository, private readonly tenantId: string, private readonly source: MicrosoftSource) {
    this.tenant = new DirectRowHead(tenantId);
  }

  /** The page stored with the cursor, as upsertPage's counts; null when upsertPage must take it. */
  async store(pullId: string, text: string, nextLink: string | null): Promise<FastUpsertCounts | null> {
    const page = Buffer.from(text);
    if (this.direct) {
      if (this.rawBatchIds.length === 0) this.rawBatchIds.push(...(await this.logs.reserveRawBatchIdsNow(RAW_BATCH_IDS)));
      const rawBatch = this.rawBatchIds[0];
      const rows = mapPageDirect(page, this.source, this.tenant, rawBatch, this.buffers);
      if (rows !== null) {
        const stored = await this.logs.storeNewPage(this.tenantId, pullId, { rawBatch, rows, copy: this.buffers.copy.chunks(), raw: this.buffers.raw.bytes(), nextLink });
        if (stored !== 'id taken') {
          this.rawBatchIds.shift();
          return { ...stored, fast: rows, total: rows, slow: [] };
        }
        this.direct = false;
      }
    }
    const staged = mapPageStaged(page, this.source, this.buffers);
    if (staged === null) return null;
    const stored = await this.logs.storeStagedPage(this.tenantId, pullId, { ...staged, copy: this.buffers.copy.chunks(), nextLink });
    return { ...stored, fast: staged.rows, total: staged.rows, slow: [] };
  }
}
