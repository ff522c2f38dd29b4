import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, Server } from 'node:https';
import { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A local stand-in for Microsoft, as a real HTTPS server on 127.0.0.1: Entra ID (OpenID discovery
 * and the v2.0 token endpoint, client credentials) and the Graph call-record functions with
 * 1000-row pages, `$skip` next links, the 90-day window limit, tokens that can be revoked, and
 * faults injected on demand (429/503/504 with Retry-After, a hang, a 403 tenant without consent).
 * Its certificate is self-signed (openssl); a process trusts it through NODE_EXTRA_CA_CERTS.
 */

export type FakeFunction = 'getPstnCalls' | 'getDirectRoutingCalls' | 'getPstnOnlineMeetingDialoutReport';

export interface FakeRow {
  /** Start of the call (ms since the epoch): which windows return the row. */
  startMs: number;
  /** The row as Graph sends it (JSON text, so money can carry more digits than a double). */
  json: string;
}

export interface FakeTenant {
  pstn?: FakeRow[];
  directRouting?: FakeRow[];
  dialout?: string[];
  /** The app has no CallRecords.Read.All consent here: Graph answers 403. */
  forbidden?: boolean;
}

export interface GraphRequestInfo {
  tenantId: string;
  fn: FakeFunction;
  skip: number;
}

export interface Fault {
  match: (r: GraphRequestInfo) => boolean;
  /** How many matching requests it answers (default 1). */
  times?: number;
  status?: number;
  retryAfter?: string;
  /** Never answer (a stuck connection; the test kills the client). */
  hang?: boolean;
  /** Answer normally once this settles (a slow page the test releases). */
  holdUntil?: Promise<unknown>;
  /** Answer 401 as for an expired token, and forget the tenant's tokens. */
  revokeTokens?: boolean;
}

export interface Served {
  at: number;
  tenantId: string;
  fn: FakeFunction;
  skip: number;
  status: number;
  rows: number;
}

export interface FakeMicrosoftOptions {
  pageSize?: number;
  tokenLifetimeSeconds?: number;
  clientId?: string;
  clientSecret?: string;
}

const DAY_MS = 86_400_000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const Z_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z)?$/;

/** A self-signed certificate for 127.0.0.1, made once per machine run and reused. */
export function loopbackCertificate(): { certFile: string; keyFile: string; cert: string; key: string } {
  const dir = join(tmpdir(), 'ocrecon-fake-microsoft-cert');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true });
    const tmpKey = `${keyFile}.${process.pid}`;
    const tmpCert = `${certFile}.${process.pid}`;
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', tmpKey, '-out', tmpCert,
      '-days', '30', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    execFileSync('mv', [tmpKey, keyFile]);
    execFileSync('mv', [tmpCert, certFile]);
  }
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

export class FakeMicrosoft {
  readonly tenants = new Map<string, FakeTenant>();
  readonly faults: Fault[] = [];
  readonly served: Served[] = [];
  readonly tokenRequests: { tenantId: string; scope: string; at: number }[] = [];
  readonly clientId: string;
  readonly clientSecret: string;
  private readonly tokens = new Map<string, { tenantId: string; expiresAt: number }>();
  private readonly sockets = new Set<Socket>();
  private readonly pageSize: number;
  private readonly tokenLifetimeSeconds: number;
  private windowCache = new Map<string, FakeRow[]>();

  private constructor(private readonly server: Server, readonly url: string, readonly certFile: string, readonly cert: string, o: FakeMicrosoftOptions) {
    this.pageSize = o.pageSize ?? 1000;
    this.tokenLifetimeSeconds = o.tokenLifetimeSeconds ?? 3600;
    this.clientId = o.clientId ?? '11111111-2222-4333-8444-555555555555';
    this.clientSecret = o.clientSecret ?? 'fake-secret-value';
  }

  static async start(options: FakeMicrosoftOptions = {}): Promise<FakeMicrosoft> {
    const cert = loopbackCertificate();
    const server = createServer({ cert: cert.cert, key: cert.key, keepAliveTimeout: 30_000 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const fake = new FakeMicrosoft(server, `https://127.0.0.1:${(server.address() as AddressInfo).port}`, cert.certFile, cert.cert, options);
    server.on('connection', (s: Socket) => {
      fake.sockets.add(s);
      s.on('close', () => fake.sockets.delete(s));
    });
    server.on('request', (req, res) => fake.handle(req, res).catch((e) => { res.statusCode = 500; res.end(String(e)); }));
    return fake;
  }

  setTenant(tenantId: string, tenant: FakeTenant): void {
    this.tenants.set(tenantId.toLowerCase(), tenant);
    this.windowCache.clear();
  }

  inject(fault: Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

  /** A token for a tenant, as the token endpoint would issue it (for in-process tests). */
  issueToken(tenantId: string): string {
    const token = `fake.${randomBytes(12).toString('hex')}`;
    this.tokens.set(token, { tenantId: tenantId.toLowerCase(), expiresAt: Date.now() + this.tokenLifetimeSeconds * 1000 });
    return token;
  }

  /** Graph answers 200 for these (tenant, function) pages: "no page fetched twice" counts them. */
  pagesServed(tenantId?: string): Served[] {
    return this.served.filter((s) => s.status === 200 && (!tenantId || s.tenantId === tenantId));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private graphError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    this.json(res, status, { error: { code, message, innerError: { 'request-id': randomBytes(8).toString('hex'), date: new Date().toISOString() } } }, headers);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    const path = decodeURIComponent(u.pathname);
    let m: RegExpExecArray | null;
    if ((m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path))) {
      const t = m[1];
      return this.json(res, 200, {
        token_endpoint: `${this.url}/${t}/oauth2/v2.0/token`,
        authorization_endpoint: `${this.url}/${t}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${this.url}/${t}/oauth2/v2.0/logout`,
        device_authorization_endpoint: `${this.url}/${t}/oauth2/v2.0/devicecode`,
        jwks_uri: `${this.url}/${t}/discovery/v2.0/keys`,
        issuer: `${this.url}/${t}/v2.0`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        tenant_region_scope: 'NA',
      });
    }
    if (req.method === 'POST' && (m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path))) {
      const form = new URLSearchParams(await readBody(req));
      const tenantId = m[1].toLowerCase();
      this.tokenRequests.push({ tenantId, scope: form.get('scope') ?? '', at: Date.now() });
      const secretOk = form.get('client_secret') === this.clientSecret || !!form.get('client_assertion');
      if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== this.clientId || !secretOk) {
        return this.json(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] });
      }
      if (!GUID.test(tenantId) || !this.tenants.has(tenantId)) {
        return this.json(res, 400, { error: 'invalid_request', error_description: `AADSTS90002: Tenant '${tenantId}' not found.`, error_codes: [90002] });
      }
      return this.json(res, 200, { token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds, ext_expires_in: this.tokenLifetimeSeconds, access_token: this.issueToken(tenantId) });
    }
    if ((m = /^\/(v1\.0|beta)\/communications\/callRecords\/(getPstnCalls|getDirectRoutingCalls|getPstnOnlineMeetingDialoutReport)\(fromDateTime=([^,]+),toDateTime=([^)]+)\)$/.exec(path))) {
      return this.graph(req, res, u, m[1], m[2] as FakeFunction, m[3], m[4]);
    }
    return this.graphError(res, 404, 'BadRequest', `Resource not found for the segment '${path}'.`);
  }

  private graph(req: IncomingMessage, res: ServerResponse, u: URL, version: string, fn: FakeFunction, fromText: string, toText: string): void {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const token = auth ? this.tokens.get(auth[1]) : undefined;
    const skip = Number(u.searchParams.get('$skip') ?? 0);
    const record = (status: number, rows = 0, tenantId = token?.tenantId ?? '?') => this.served.push({ at: Date.now(), tenantId, fn, skip, status, rows });
    if (!token || token.expiresAt <= Date.now()) {
      record(401);
      return this.graphError(res, 401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
    }
    const info: GraphRequestInfo = { tenantId: token.tenantId, fn, skip };
    const fault = this.faults.find((f) => (f.times ?? 1) > 0 && f.match(info));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.hang) {
        record(0);
        return;
      }
      if (fault.holdUntil) {
        record(0);
        void fault.holdUntil.then(() => this.graph(req, res, u, version, fn, fromText, toText));
        return;
      }
      if (fault.revokeTokens) {
        for (const [k, v] of this.tokens) if (v.tenantId === token.tenantId) this.tokens.delete(k);
        record(401);
        return this.graphError(res, 401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
      }
      const status = fault.status ?? 503;
      record(status);
      return this.graphError(res, status, status === 429 ? 'TooManyRequests' : 'ServiceUnavailable', 'Injected fault.', fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
    }
    const tenant = this.tenants.get(token.tenantId)!;
    if (tenant.forbidden) {
      record(403);
      return this.graphError(res, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
    if ((fn === 'getPstnOnlineMeetingDialoutReport') !== (version === 'beta')) {
      record(400);
      return this.graphError(res, 400, 'BadRequest', `${fn} is not available in ${version}.`);
    }
    if (!Z_TIME.test(fromText) || !Z_TIME.test(toText)) {
      record(400);
      return this.graphError(res, 400, 'BadRequest', 'fromDateTime and toDateTime must be UTC date-times ending in Z.');
    }
    const fromMs = Date.parse(fromText);
    const toMs = Date.parse(toText);
    if (!(toMs > fromMs) || toMs - fromMs > 90 * DAY_MS) {
      record(400);
      return this.graphError(res, 400, 'BadRequest', 'The time range must be at most 90 days.');
    }
    let rows: string[];
    let type: string;
    if (fn === 'getPstnOnlineMeetingDialoutReport') {
      rows = tenant.dialout ?? [];
      type = 'pstnOnlineMeetingDialoutReport';
    } else {
      // toDateTime is inclusive for PSTN and exclusive for Direct Routing, as Graph documents it.
      const pstn = fn === 'getPstnCalls';
      const key = `${token.tenantId}|${fn}|${fromMs}|${toMs}`;
      let inWindow = this.windowCache.get(key);
      if (!inWindow) {
        inWindow = (pstn ? tenant.pstn : tenant.directRouting ?? []) ?? [];
        inWindow = inWindow.filter((r) => r.startMs >= fromMs && (pstn ? r.startMs <= toMs : r.startMs < toMs));
        this.windowCache.set(key, inWindow);
      }
      rows = inWindow.slice(skip, skip + this.pageSize).map((r) => r.json);
      type = pstn ? 'pstnCallLogRow' : 'directRoutingLogRow';
      const total = inWindow.length;
      const next = skip + this.pageSize < total ? `${this.url}/${version}/communications/callRecords/${fn}(fromDateTime=${fromText},toDateTime=${toText})?$skip=${skip + this.pageSize}` : null;
      record(200, rows.length, token.tenantId);
      return this.json(res, 200, page(this.url, version, type, rows, next));
    }
    record(200, rows.length, token.tenantId);
    return this.json(res, 200, page(this.url, version, type, rows, null));
  }
}

function page(base: string, version: string, type: string, rows: string[], next: string | null): string {
  return `{"@odata.context":"${base}/${version}/$metadata#Collection(microsoft.graph.callRecords.${type})","@odata.count":${rows.length},"value":[${rows.join(',')}]${next ? `,"@odata.nextLink":${JSON.stringify(next)}` : ''}}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** Exact decimal texts with more digits than a double holds, so a float anywhere would show. */
export const chargeText = (i: number) => `0.${String(i % 1000).padStart(3, '0')}12345678901234567`;
export const connectionChargeText = (i: number) => `${i % 7}.1000000000000000001`;

/**
 * PSTN rows spread evenly over [startMs, startMs + spanMs), with 7, 5 or 0 fraction digits in turn,
 * money as exact JSON numbers, and now and then an enum value Graph has not documented.
 */
export function pstnRows(count: number, startMs: number, spanMs: number, tenantTag = 'a'): FakeRow[] {
  const rows: FakeRow[] = [];
  for (let i = 0; i < count; i++) {
    const ms = startMs + Math.floor((i * spanMs) / count);
    const iso = new Date(ms).toISOString().slice(0, 19);
    const start = i % 3 === 0 ? `${iso}.1234567Z` : i % 3 === 1 ? `${iso}.98765Z` : `${iso}Z`;
    const end = new Date(ms + 60_000 + (i % 50) * 1000).toISOString().slice(0, 19) + 'Z';
    const id = `${tenantTag.padEnd(8, '0').slice(0, 8)}-0000-4000-8000-${String(i).padStart(12, '0')}`;
    rows.push({
      startMs: ms,
      json:
        `{"id":"${id}","callId":"call-${i}@sbc.example","userId":"u-${i % 97}","userPrincipalName":"user${i % 97}@contoso.example",` +
        `"userDisplayName":"User ${i % 97}","startDateTime":"${start}","endDateTime":"${end}","duration":${60 + (i % 50)},` +
        `"charge":${chargeText(i)},"connectionCharge":${connectionChargeText(i)},"currency":"USD",` +
        `"callType":"${i % 11 === 0 ? 'brand_new_call_type' : 'user_out'}","callerNumber":"+1425555${String(i % 10000).padStart(4, '0')}",` +
        `"calleeNumber":"+1206555${String((i * 7) % 10000).padStart(4, '0')}","destinationContext":"Domestic","destinationName":"United States",` +
        `"conferenceId":null,"licenseCapability":"MCOPSTN_PAYG","inventoryType":"Subscriber","operator":"Acme",` +
        `"callDurationSource":"${i % 2 ? 'operator' : 'microsoft'}","tenantCountryCode":"US","usageCountryCode":"US"}`,
    });
  }
  return rows;
}

/**
 * A saved NDJSON file of `count` PSTN rows (pstnRows, written 50,000 at a time so memory stays
 * small), ids `<tag>-0000-4000-8000-<row number>` unique across the file.
 */
export async function writePstnNdjson(path: string, count: number, dayStartMs: number, tag: string): Promise<void> {
  const out = createWriteStream(path);
  for (let from = 0; from < count; from += 50_000) {
    const rows = pstnRows(Math.min(50_000, count - from), dayStartMs, DAY_MS, tag);
    const text = rows.map((r) => r.json.replace(/-8000-(\d{12})"/, (_, n: string) => `-8000-${String(from + Number(n)).padStart(12, '0')}"`)).join('\n') + '\n';
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

export function directRoutingRows(count: number, startMs: number, spanMs: number): FakeRow[] {
  const rows: FakeRow[] = [];
  for (let i = 0; i < count; i++) {
    const ms = startMs + Math.floor((i * spanMs) / count);
    const iso = new Date(ms).toISOString().slice(0, 19);
    rows.push({
      startMs: ms,
      json:
        `{"id":"dr-${i}","correlationId":"corr-${i}","userId":"u-${i}","userPrincipalName":"u${i}@contoso.example","userDisplayName":"U ${i}",` +
        `"startDateTime":"${iso}.1234567Z","inviteDateTime":"${iso}Z","failureDateTime":"0001-01-01T00:00:00Z","endDateTime":"${iso}Z","duration":${i},` +
        `"callType":"ByotOut","successfulCall":true,"callerNumber":"+14255550100","calleeNumber":"+12065550100","finalSipCode":200,` +
        `"finalSipCodePhrase":"BYE","callEndSubReason":540000,"trunkFullyQualifiedDomainName":"sbc.example.com","mediaBypassEnabled":false,` +
        `"mediaPathLocation":"USWE","signalingLocation":"USWE"}`,
    });
  }
  return rows;
}
