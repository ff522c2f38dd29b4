import type { TokenCredential } from '@azure/identity';
import { AppConfig } from '../config/app-config';
import { invalidInput } from '../common/ocrecon-error';
import { CLOUD_HOSTS, graphScope, isMicrosoftAuthority } from './clouds';
import { TenantTarget, TokenSource } from './graph-client';

/**
 * App-only tokens from the operator's multi-tenant app: one @azure/identity credential per customer
 * tenant, on the tenant's cloud, kept for the life of the process so that its token cache is used
 * (the library renews a token about 5 minutes before it expires). A renewal forced by a 401 makes a
 * new credential, whose empty cache has to fetch a new token.
 */
export class AzureIdentityTokenSource implements TokenSource {
  private readonly credentials = new Map<string, TokenCredential>();

  constructor(private readonly config: AppConfig) {}

  /** Fails fast, before any tenant is tried, when the app's credentials are not configured. */
  static check(config: AppConfig): void {
    if (!config.AZURE_CLIENT_ID || (!config.AZURE_CLIENT_SECRET && !config.AZURE_CLIENT_CERTIFICATE_PATH)) {
      throw invalidInput('pull needs AZURE_CLIENT_ID and either AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH (the operator\'s multi-tenant app)');
    }
  }

  async getToken(target: TenantTarget, renew: boolean): Promise<string> {
    const key = `${target.cloud}/${target.tenantId}`;
    let credential = this.credentials.get(key);
    if (!credential || renew) {
      credential = this.create(target);
      this.credentials.set(key, credential);
    }
    const token = await credential.getToken(graphScope(target.cloud));
    if (!token) throw new Error('the identity library returned no token');
    return token.token;
  }

  private create(target: TenantTarget): TokenCredential {
    AzureIdentityTokenSource.check(this.config);
    const authorityHost = this.config.AZURE_AUTHORITY_HOST ?? CLOUD_HOSTS[target.cloud].authority;
    const options = { authorityHost, disableInstanceDiscovery: !isMicrosoftAuthority(authorityHost) };
    // Loaded on first use: only a pull needs it, and loading it costs every other command about 0.1 s.
    const { ClientCertificateCredential, ClientSecretCredential } = require('@azure/identity') as typeof import('@azure/identity');
    return this.config.AZURE_CLIENT_SECRET
      ? new ClientSecretCredential(target.tenantId, this.config.AZURE_CLIENT_ID!, this.config.AZURE_CLIENT_SECRET, options)
      : new ClientCertificateCredential(target.tenantId, this.config.AZURE_CLIENT_ID!, this.config.AZURE_CLIENT_CERTIFICATE_PATH!, options);
  }
}
