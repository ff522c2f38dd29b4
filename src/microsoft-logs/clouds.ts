import { Cloud } from '../carriers/tenant.entity';

/** The hosts of each national cloud that has PSTN logs (China, 21Vianet, has none). */
export const CLOUD_HOSTS: Record<Cloud, { authority: string; graph: string }> = {
  global: { authority: 'https://login.microsoftonline.com', graph: 'https://graph.microsoft.com' },
  usgov: { authority: 'https://login.microsoftonline.us', graph: 'https://graph.microsoft.us' },
  dod: { authority: 'https://login.microsoftonline.us', graph: 'https://dod-graph.microsoft.us' },
};

const MICROSOFT_AUTHORITIES = new Set(['login.microsoftonline.com', 'login.microsoftonline.us', 'login.microsoft.com', 'login.windows.net', 'login.chinacloudapi.cn']);

/** Instance discovery asks Microsoft about the authority: only meaningful for Microsoft's own hosts. */
export function isMicrosoftAuthority(host: string): boolean {
  return MICROSOFT_AUTHORITIES.has(new URL(host).hostname.toLowerCase());
}

/** The token scope is always the cloud's Graph root, even when GRAPH_BASE_URL points elsewhere. */
export const graphScope = (cloud: Cloud) => `${CLOUD_HOSTS[cloud].graph}/.default`;
