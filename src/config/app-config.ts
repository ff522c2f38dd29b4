import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, validateSync } from 'class-validator';

/** Keys whose values must never reach a log line or an error message. */
export const SECRET_KEYS = new Set(['AZURE_CLIENT_SECRET', 'DATABASE_URL']);

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value)) ? Number(value) : value;
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * The one typed configuration object (house style #9): read from the environment once, validated at
 * start, and injected everywhere else. Nothing else reads process.env.
 */
export class AppConfig {
  /** A PostgreSQL URL. Absent: the engine runs its own embedded PostgreSQL under dataDir. */
  @IsOptional()
  @Transform(emptyToUndefined)
  @Matches(/^postgres(ql)?:\/\//, { message: '$property must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsString()
  OCRECON_DATA_DIR: string = './.ocrecon';

  /** Port of the embedded PostgreSQL; 0 picks a free one. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  OCRECON_EMBEDDED_PG_PORT: number = 0;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  /**
   * The address `serve` listens on. Loopback unless opened on purpose (`0.0.0.0` or `::` behind a
   * load balancer or in a container): the server answers with customer data.
   */
  @Transform(({ value }) => (value === undefined || value === '' ? '127.0.0.1' : value))
  @Matches(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/, {
    message: '$property must be a host name or an IP address to listen on',
  })
  HOST: string = '127.0.0.1';

  /** Absent: info for `ocrecon serve` (JSON on stdout), warn for the other commands (on stderr). */
  @IsOptional()
  @Transform(emptyToUndefined)
  @IsIn(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
  LOG_LEVEL?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsString()
  AZURE_CLIENT_ID?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsString()
  AZURE_CLIENT_SECRET?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsString()
  AZURE_CLIENT_CERTIFICATE_PATH?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  GRAPH_BASE_URL?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  AZURE_AUTHORITY_HOST?: string;

  /** Graph requests allowed per tenant per window (Graph's limit is 200 per 60 s per app per tenant). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  OCRECON_GRAPH_RATE_LIMIT: number = 190;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  OCRECON_GRAPH_RATE_WINDOW_MS: number = 60000;

  /** First backoff step for 503/504/network errors (doubled per retry, with full jitter). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  OCRECON_GRAPH_BACKOFF_BASE_MS: number = 1000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  OCRECON_GRAPH_BACKOFF_MAX_MS: number = 60000;

  /** Retries of one Graph request before the tenant is given up for this run (it resumes next run). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  OCRECON_GRAPH_MAX_RETRIES: number = 8;

  /** Tenants pulled at the same time (each has its own rate limit). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  OCRECON_PULL_CONCURRENCY: number = 4;

  /** When `ocrecon serve` runs the nightly batch (cron, UTC). */
  @IsString()
  @Matches(/^(\S+\s+){4,5}\S+$/, { message: '$property must be a cron expression such as "30 2 * * *"' })
  OCRECON_NIGHTLY_CRON: string = '30 2 * * *';

  /** Days before the night's day that are pulled and reconciled again (Microsoft fills them in late). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(30)
  OCRECON_NIGHTLY_TRAILING_DAYS: number = 2;

  /**
   * How far back (days before the night's day) a day that changed since the nightly last looked at it
   * (a late or corrected carrier file, an old window pulled by hand) is reconciled again: five weeks,
   * a billing cycle.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(400)
  OCRECON_NIGHTLY_LOOKBACK_DAYS: number = 35;

  /** Attempts of a failed batch step before it is reported failed, with exponential backoff from the base. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10)
  OCRECON_BATCH_ATTEMPTS: number = 3;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  OCRECON_BATCH_RETRY_BASE_MS: number = 5000;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the environment; throws a ConfigError naming every bad key (never its value). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new AppConfig()).concat(
    'DATABASE_URL', 'LOG_LEVEL', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH',
    'GRAPH_BASE_URL', 'AZURE_AUTHORITY_HOST',
  );
  const picked: Record<string, string> = {};
  for (const key of known) if (env[key] !== undefined) picked[key] = env[key] as string;
  const config = plainToInstance(AppConfig, picked);
  const errors = validateSync(config, { forbidUnknownValues: false });
  if (errors.length > 0) {
    const detail = errors
      .map((e) => `${e.property} ${Object.values(e.constraints ?? {}).map((m) => m.replace(/^\S+ /, '')).join('; ')}`)
      .join(', ');
    throw new ConfigError(`invalid configuration: ${detail}`);
  }
  return config;
}
