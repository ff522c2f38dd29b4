import { AppConfig } from '../config/app-config';
import { Cloud } from '../carriers/tenant.entity';
import { AzureIdentityTokenSource } from './azure-token-source';
import { CLOUD_HOSTS } from './clouds';
import { ClientDeps, GraphTenantClient, TenantTarget, TokenSource } from './graph-client';
import { GraphHttp } from './graph-http';
import { SlidingWindowLimiter } from './rate-limiter';

export interface GraphConnectorParts {
  tokens?: TokenSource;
  http?: GraphHttp;
  deps?: ClientDeps;
}

/**
 * Where Graph clients come from: one token source and one HTTP agent for the process, and one rate
 * limiter per tenant that lives as long as the process (so successive pulls of a tenant share it).
 * The parts can be swapped (an in-process test trusts its loopback server's certificate this way).
 */
export class GraphConnector {
  private readonly tokens: TokenSource;
  private readonly http: GraphHttp;
  private readonly limiters = new Map<string, SlidingWindowLimiter>();

  constructor(private readonly config: AppConfig, private readonly parts: GraphConnectorParts = {}) {
    this.tokens = parts.tokens ?? new AzureIdentityTokenSource(config);
    this.http = parts.http ?? new GraphHttp();
  }

  /** Fails before any tenant is tried when the app's credentials are missing. */
  check(): void {
    if (!this.parts.tokens) AzureIdentityTokenSource.check(this.config);
  }

  graphRoot(cloud: Cloud): string {
    return this.config.GRAPH_BASE_URL ?? CLOUD_HOSTS[cloud].graph;
  }

  clientFor(target: TenantTarget): GraphTenantClient {
    let limiter = this.limiters.get(target.tenantId);
    if (!limiter) {
      limiter = new SlidingWindowLimiter(this.config.OCRECON_GRAPH_RATE_LIMIT, this.config.OCRECON_GRAPH_RATE_WINDOW_MS);
      this.limiters.set(target.tenantId, limiter);
    }
    return new GraphTenantClient(
      target, this.tokens, this.http, limiter,
      { backoffBaseMs: this.config.OCRECON_GRAPH_BACKOFF_BASE_MS, backoffMaxMs: this.config.OCRECON_GRAPH_BACKOFF_MAX_MS, maxRetries: this.config.OCRECON_GRAPH_MAX_RETRIES },
      this.parts.deps,
    );
  }

  close(): void {
    this.http.close();
  }
}
