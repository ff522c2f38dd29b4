/**
 * Masking of personal data and secrets in log lines: pure functions, no I/O.
 *
 * - E.164 numbers keep the first four digits (the country code and the start of the national
 *   number) and the last two: `+14255550100` -> `+1425*****00`.
 * - User principal names (and e-mail addresses) keep their first letter and the domain:
 *   `alice@contoso.com` -> `a***@contoso.com`.
 * - A password in a URL (`postgres://user:pw@host`) and a bearer token become `***`.
 * - Values under secret keys (authorization, password, client secret, tokens) become `[Redacted]`.
 */

export const REDACTED = '[Redacted]';

/** Keys whose values are secrets wherever they appear (case-insensitive, `_`/`-` ignored). */
const SECRET_KEY = /^(authorization|proxyauthorization|cookie|setcookie|password|passwd|pwd|secret|clientsecret|azureclientsecret|accesstoken|refreshtoken|idtoken|clientassertion)$/;
/** Keys that hold phone numbers, masked even when the number lacks its `+`. */
const NUMBER_KEY = /(number|phone|caller|callee|msisdn|^cli$|^ani$|^dnis$)/i;

const E164 = /(?<![\w+])\+([1-9]\d{6,14})(?!\d)/g;
const UPN = /(?<![\w.%+-])([A-Za-z0-9_%+-])[A-Za-z0-9._%+-]*@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})(?![\w-])/g;
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;
const SECRET_PARAM = /\b(client_secret|access_token|refresh_token|id_token|client_assertion|password)=[^&\s"']+/gi;

function maskDigits(digits: string): string {
  const keepHead = Math.min(4, Math.max(1, digits.length - 6));
  return digits.slice(0, keepHead) + '*'.repeat(digits.length - keepHead - 2) + digits.slice(-2);
}

/** `+14255550100` -> `+1425*****00`; anything that is not an E.164 number is returned as it is. */
export function maskPhoneNumber(value: string): string {
  return /^\+[1-9]\d{6,14}$/.test(value) ? `+${maskDigits(value.slice(1))}` : value;
}

/** `alice@contoso.com` -> `a***@contoso.com`. */
export function maskUpn(value: string): string {
  return value.replace(UPN, (_m, first: string, domain: string) => `${first}***@${domain}`);
}

/** Masks every phone number, UPN, URL password, bearer token and secret query parameter in a text. */
export function maskText(text: string): string {
  if (text.length < 7) return text;
  return text
    .replace(URL_PASSWORD, '$1***@')
    .replace(BEARER, '$1 ***')
    .replace(SECRET_PARAM, '$1=***')
    .replace(E164, (_m, digits: string) => `+${maskDigits(digits)}`)
    .replace(UPN, (_m, first: string, domain: string) => `${first}***@${domain}`);
}

const isSecretKey = (key: string) => SECRET_KEY.test(key.replace(/[-_]/g, '').toLowerCase());

function maskUnderKey(key: string, value: string): string {
  // A number without its `+` (a national or carrier format) under a key that says it is one.
  if (NUMBER_KEY.test(key)) {
    const digits = /^(\d{7,15})$/.exec(value);
    if (digits) return maskDigits(digits[1]);
  }
  return maskText(value);
}

/**
 * A masked copy of a log value: strings masked, plain objects and arrays walked (to a depth of 8),
 * errors turned into `{type, message, stack, …}` with masked text. Other objects (streams, requests,
 * dates, buffers) are returned as they are: their serializers decide what is printed.
 */
export function maskValue(value: unknown, key = '', depth = 0, seen = new WeakSet<object>()): unknown {
  if (key && isSecretKey(key) && value !== undefined && value !== null && value !== '') return REDACTED;
  if (typeof value === 'string') return key ? maskUnderKey(key, value) : maskText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (seen.has(value)) return '[Circular]';
  if (value instanceof Error) {
    seen.add(value);
    const out: Record<string, unknown> = { type: value.name || value.constructor?.name, message: maskText(value.message) };
    if (value.stack) out.stack = maskText(value.stack);
    for (const [k, v] of Object.entries(value)) out[k] = maskValue(v, k, depth + 1, seen);
    if (value.cause !== undefined) out.cause = maskValue(value.cause, 'cause', depth + 1, seen);
    return out;
  }
  if (Array.isArray(value)) {
    seen.add(value);
    return value.map((v) => maskValue(v, key, depth + 1, seen));
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  seen.add(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskValue(v, k, depth + 1, seen);
  return out;
}
