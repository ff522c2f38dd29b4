import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';
import { maskText, maskValue } from './mask';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** Where a process logs: the server to stdout at info, the CLI to stderr at warn (stdout is for results). */
export interface LogOptions {
  destination: 'stdout' | 'stderr';
  /** Used when LOG_LEVEL is not set. */
  defaultLevel: LogLevel;
}

export const CLI_LOGGING: LogOptions = { destination: 'stderr', defaultLevel: 'warn' };
export const SERVER_LOGGING: LogOptions = { destination: 'stdout', defaultLevel: 'info' };

/**
 * Secret paths removed by pino itself (the recursive masking in `hooks.logMethod` also replaces
 * secret keys at any depth; these paths cover the bindings and serializer output it does not see).
 */
export const REDACT_PATHS = [
  'authorization', 'password', 'client_secret', 'clientSecret', 'AZURE_CLIENT_SECRET', 'access_token', 'accessToken', 'refresh_token',
  '*.authorization', '*.password', '*.client_secret', '*.clientSecret', '*.AZURE_CLIENT_SECRET', '*.access_token', '*.accessToken', '*.refresh_token',
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["proxy-authorization"]', 'res.headers["set-cookie"]',
  'headers.authorization', 'headers.cookie', 'config.AZURE_CLIENT_SECRET',
];

/** pino's options: JSON lines, ISO times, secrets redacted, phone numbers and UPNs masked in every line. */
export function loggerOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    base: { pid: process.pid, name: 'ocrecon' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    hooks: {
      // Masks the merging object and the message (and printf arguments) of every call, children included.
      logMethod(args, method) {
        const masked = (args as unknown[]).map((a) => (typeof a === 'string' ? maskText(a) : maskValue(a)));
        return method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
}

/** The process's root logger. Synchronous writes: a CLI that exits right after a line still prints it. */
export function createLogger(options: LogOptions, configuredLevel?: string, destination?: DestinationStream): Logger {
  const level = (configuredLevel as LogLevel | undefined) ?? options.defaultLevel;
  const stream = destination ?? pino.destination({ fd: options.destination === 'stdout' ? 1 : 2, sync: true });
  return pino(loggerOptions(level), stream);
}
