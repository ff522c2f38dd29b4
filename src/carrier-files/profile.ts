import { invalidInput } from '../common/ocrecon-error';

/** The columns of the canonical layout (carrier-cdr-format.md). */
export const CANONICAL_COLUMNS = [
  'record_id',
  'call_id',
  'tenant_id',
  'direction',
  'start_time',
  'end_time',
  'duration_seconds',
  'caller_number',
  'callee_number',
  'charge',
  'connection_charge',
  'currency',
] as const;
export type CanonicalColumn = (typeof CANONICAL_COLUMNS)[number];
export const REQUIRED_COLUMNS: readonly CanonicalColumn[] = ['start_time', 'duration_seconds', 'caller_number', 'callee_number'];

export type DurationUnit = 's' | 'ms' | 'hh:mm:ss';

export interface BillingIncrement {
  first: number;
  next: number;
}

/** A validated file profile. The canonical layout is the profile with every default. */
export interface CarrierFileProfile {
  delimiter: string;
  /** false: the file has no header row and `columns` gives 1-based positions. */
  header: boolean;
  /** Canonical column -> header name (matched case-insensitively) or 1-based position. */
  columns: Partial<Record<CanonicalColumn, string | number>>;
  /** `iso`, `epoch-s`, `epoch-ms`, or a pattern of YYYY MM DD HH mm ss and an optional fraction `.S`. */
  timestampFormat: string;
  /** IANA time zone of naive timestamps (without Z or an offset); null: naive timestamps are rejected. */
  timeZone: string | null;
  durationUnit: DurationUnit;
  decimalSeparator: '.' | ',';
  defaultCurrency: string | null;
  /** ISO 3166 alpha-2 country of national numbers; null: only international forms are accepted. */
  defaultCountry: string | null;
  /** Prefixes removed from numbers before normalisation (`tel:`, a trunk access code, …). */
  stripPrefixes: string[];
  /** true: one bad row rejects the whole file. */
  failFileOnBadRow: boolean;
  billingIncrement: BillingIncrement | null;
}

export const CANONICAL_PROFILE: CarrierFileProfile = Object.freeze({
  delimiter: ',',
  header: true,
  columns: {},
  timestampFormat: 'iso',
  timeZone: null,
  durationUnit: 's',
  decimalSeparator: '.',
  defaultCurrency: null,
  defaultCountry: null,
  stripPrefixes: [],
  failFileOnBadRow: false,
  billingIncrement: null,
}) as CarrierFileProfile;

const KNOWN_KEYS = new Set(Object.keys(CANONICAL_PROFILE));
const PATTERN_TOKENS = /YYYY|MM|DD|HH|mm|ss|\.S+|./g;

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parses `60/60`, `30/6`, `1/1` into seconds. */
export function parseBillingIncrement(text: string): BillingIncrement | null {
  const m = /^\s*(\d{1,5})\s*\/\s*(\d{1,5})\s*$/.exec(text);
  if (!m) return null;
  const first = Number(m[1]);
  const next = Number(m[2]);
  return first >= 1 && next >= 1 ? { first, next } : null;
}

/**
 * Validates a profile document and fills in the defaults. Every problem is reported at once, each
 * naming its key, so a carrier's profile can be fixed in one go.
 */
export function parseProfile(input: unknown, name = 'profile'): CarrierFileProfile {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidInput(`${name}: must be a JSON object`);
  }
  const doc = input as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(doc)) if (!KNOWN_KEYS.has(key)) problems.push(`unknown key "${key}" (known: ${[...KNOWN_KEYS].join(', ')})`);
  const p: CarrierFileProfile = { ...CANONICAL_PROFILE, columns: {}, stripPrefixes: [] };

  if (doc.delimiter !== undefined) {
    const d = doc.delimiter === '\\t' ? '\t' : doc.delimiter;
    if (typeof d !== 'string' || d.length !== 1 || d === '"' || d === '\n' || d === '\r') problems.push('delimiter must be one character other than a quote or a line end');
    else p.delimiter = d;
  }
  if (doc.header !== undefined) {
    if (typeof doc.header !== 'boolean') problems.push('header must be true or false');
    else p.header = doc.header;
  }
  if (doc.columns !== undefined) {
    if (typeof doc.columns !== 'object' || doc.columns === null || Array.isArray(doc.columns)) problems.push('columns must be an object of canonical column -> header name or position');
    else {
      const seen = new Map<string, string>();
      for (const [col, ref] of Object.entries(doc.columns as Record<string, unknown>)) {
        if (!(CANONICAL_COLUMNS as readonly string[]).includes(col)) {
          problems.push(`columns.${col} is not a canonical column (${CANONICAL_COLUMNS.join(', ')})`);
          continue;
        }
        if (p.header ? typeof ref !== 'string' || ref.trim() === '' : !Number.isInteger(ref) || (ref as number) < 1) {
          problems.push(`columns.${col} must be ${p.header ? 'a header name' : 'a column position (1, 2, …) since header is false'}`);
          continue;
        }
        const key = typeof ref === 'string' ? ref.trim().toLowerCase() : String(ref);
        if (seen.has(key)) problems.push(`columns.${col} and columns.${seen.get(key)} name the same column ${JSON.stringify(ref)}`);
        seen.set(key, col);
        p.columns[col as CanonicalColumn] = typeof ref === 'string' ? ref.trim() : (ref as number);
      }
    }
  }
  if (!p.header) {
    for (const col of REQUIRED_COLUMNS) if (p.columns[col] === undefined) problems.push(`columns.${col} is required when header is false`);
  }
  if (doc.timestampFormat !== undefined) {
    const f = doc.timestampFormat;
    if (typeof f !== 'string' || !(f === 'iso' || f === 'epoch-s' || f === 'epoch-ms' || isValidPattern(f))) {
      problems.push('timestampFormat must be iso, epoch-s, epoch-ms or a pattern with YYYY, MM, DD, HH, mm, ss (and optional .S fraction), e.g. "DD/MM/YYYY HH:mm:ss"');
    } else p.timestampFormat = f;
  }
  if (doc.timeZone !== undefined && doc.timeZone !== null) {
    if (typeof doc.timeZone !== 'string' || !isValidTimeZone(doc.timeZone)) problems.push(`timeZone must be an IANA time zone such as "Europe/Paris"`);
    else p.timeZone = doc.timeZone;
  }
  if (p.timestampFormat !== 'iso' && !p.timestampFormat.startsWith('epoch') && !p.timeZone) {
    problems.push('timeZone is required with a timestampFormat pattern (its times carry no zone; use "UTC" if they are UTC)');
  }
  if (doc.durationUnit !== undefined) {
    if (doc.durationUnit !== 's' && doc.durationUnit !== 'ms' && doc.durationUnit !== 'hh:mm:ss') problems.push('durationUnit must be s, ms or hh:mm:ss');
    else p.durationUnit = doc.durationUnit;
  }
  if (doc.decimalSeparator !== undefined) {
    if (doc.decimalSeparator !== '.' && doc.decimalSeparator !== ',') problems.push('decimalSeparator must be "." or ","');
    else p.decimalSeparator = doc.decimalSeparator;
  }
  if (p.decimalSeparator === p.delimiter) problems.push('decimalSeparator and delimiter must differ');
  if (doc.defaultCurrency !== undefined && doc.defaultCurrency !== null) {
    if (typeof doc.defaultCurrency !== 'string' || !/^[A-Z]{3}$/.test(doc.defaultCurrency)) problems.push('defaultCurrency must be an ISO 4217 code such as "EUR"');
    else p.defaultCurrency = doc.defaultCurrency;
  }
  if (doc.defaultCountry !== undefined && doc.defaultCountry !== null) {
    if (typeof doc.defaultCountry !== 'string' || !/^[A-Z]{2}$/.test(doc.defaultCountry)) problems.push('defaultCountry must be an ISO 3166 alpha-2 code such as "FR"');
    else p.defaultCountry = doc.defaultCountry;
  }
  if (doc.stripPrefixes !== undefined) {
    if (!Array.isArray(doc.stripPrefixes) || doc.stripPrefixes.some((x) => typeof x !== 'string' || x === '')) problems.push('stripPrefixes must be an array of non-empty strings');
    else p.stripPrefixes = [...(doc.stripPrefixes as string[])].sort((a, b) => b.length - a.length);
  }
  if (doc.failFileOnBadRow !== undefined) {
    if (typeof doc.failFileOnBadRow !== 'boolean') problems.push('failFileOnBadRow must be true or false');
    else p.failFileOnBadRow = doc.failFileOnBadRow;
  }
  if (doc.billingIncrement !== undefined && doc.billingIncrement !== null) {
    const inc = typeof doc.billingIncrement === 'string' ? parseBillingIncrement(doc.billingIncrement) : null;
    if (!inc) problems.push('billingIncrement must be "first/next" in whole seconds, e.g. "60/60" or "30/6"');
    else p.billingIncrement = inc;
  }
  if (problems.length > 0) throw invalidInput(`${name}: ${problems.join('; ')}`);
  return p;
}

function isValidPattern(f: string): boolean {
  const tokens = f.match(PATTERN_TOKENS) ?? [];
  return ['YYYY', 'MM', 'DD', 'HH', 'mm', 'ss'].every((t) => tokens.filter((x) => x === t).length === 1);
}
