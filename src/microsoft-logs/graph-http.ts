import { IncomingHttpHeaders } from 'node:http';
import * as http from 'node:http';
import * as https from 'node:https';
import { rootCertificates } from 'node:tls';

export interface GraphHttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface GraphHttpOptions {
  /** Extra trusted CA (PEM), added to Node's roots: for a local stand-in in an in-process test. */
  ca?: string;
  timeoutMs?: number;
}

/** A network failure (no HTTP answer), with Node's error code for the classifier. */
export class NetworkError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * GET with a bearer token over keep-alive connections. The body is returned as text: it is parsed
 * by the caller with lossless-json so that money keeps its digits.
 */
export class GraphHttp {
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly timeoutMs: number;

  constructor(options: GraphHttpOptions = {}) {
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}) });
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  get(url: string, token: string): Promise<GraphHttpResponse> {
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        u,
        {
          method: 'GET',
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e: NodeJS.ErrnoException) => reject(new NetworkError(e.code ?? 'ECONNRESET', e.message)));
          res.on('aborted', () => reject(new NetworkError('ECONNRESET', 'the answer was cut off')));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => reject(e instanceof NetworkError ? e : new NetworkError(e.code ?? 'ECONNRESET', e.message)));
      req.end();
    });
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }
}
