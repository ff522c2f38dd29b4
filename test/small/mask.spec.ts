import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger';
import { maskPhoneNumber, maskText, maskUpn, maskValue, REDACTED } from '../../src/observability/mask';

describe('maskPhoneNumber', () => {
  it.each([
    ['+14255550100', '+1425*****00'],
    ['+442071234567', '+4420******67'],
    ['+33123456789', '+3312*****89'],
    ['+4912345', '+4****45'], // 7 digits, the shortest E.164 we mask: one digit kept in front
    ['+123456789012345', '+1234*********45'],
    ['14255550100', '14255550100'], // not E.164: left to the key-based rule
    ['+0123456789', '+0123456789'],
    ['', ''],
  ])('%s -> %s', (input, expected) => {
    expect(maskPhoneNumber(input)).toBe(expected);
  });

  it('keeps the length and the last two digits of every E.164 number', () => {
    for (let digits = 7; digits <= 15; digits++) {
      const n = `+9${'8'.repeat(digits - 3)}12`;
      const masked = maskPhoneNumber(n);
      expect(masked).toHaveLength(n.length);
      expect(masked.endsWith('12')).toBe(true);
      expect(masked.replace(/[^*]/g, '').length).toBeGreaterThanOrEqual(4);
    }
  });
});

describe('maskUpn', () => {
  it.each([
    ['alice@contoso.com', 'a***@contoso.com'],
    ['Bob.Smith@sub.contoso.onmicrosoft.com', 'B***@sub.contoso.onmicrosoft.com'],
    ['x@fabrikam.co.uk', 'x***@fabrikam.co.uk'],
    ['no-at-sign', 'no-at-sign'],
  ])('%s -> %s', (input, expected) => {
    expect(maskUpn(input)).toBe(expected);
  });
});

describe('maskText', () => {
  it.each([
    ['call from +14255550100 to +14255550199 by alice@contoso.com', 'call from +1425*****00 to +1425*****99 by a***@contoso.com'],
    ['postgres://postgres:s3cret@db.internal:5432/ocrecon', 'postgres://postgres:***@db.internal:5432/ocrecon'],
    ['Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi.abc', 'Authorization: Bearer ***'],
    ['grant_type=client_credentials&client_secret=abc~123&scope=x', 'grant_type=client_credentials&client_secret=***&scope=x'],
    ['2026-11-01T10:00:00+00:00 id 1234567', '2026-11-01T10:00:00+00:00 id 1234567'],
    ['/metrics?x=+14255550100', '/metrics?x=+1425*****00'],
  ])('%s', (input, expected) => {
    expect(maskText(input)).toBe(expected);
  });
});

describe('maskValue', () => {
  it('masks strings at any depth, numbers under number keys, and replaces secret keys', () => {
    const input = {
      msg: 'x',
      tenant: { upn: 'alice@contoso.com', callerNumber: '14255550100', calleeNumber: 'tel:+14255550101', nested: [{ note: 'dial +14255550102' }] },
      config: { AZURE_CLIENT_SECRET: 'topsecret', DATABASE_URL: 'postgres://u:pw@h/db', PORT: 3000 },
      headers: { authorization: 'Bearer abc', 'content-type': 'text/csv' },
      client_secret: 'x', accessToken: 'y', password: 'z', rows: 12,
    };
    expect(maskValue(input)).toEqual({
      msg: 'x',
      tenant: { upn: 'a***@contoso.com', callerNumber: '1425*****00', calleeNumber: 'tel:+1425*****01', nested: [{ note: 'dial +1425*****02' }] },
      config: { AZURE_CLIENT_SECRET: REDACTED, DATABASE_URL: 'postgres://u:***@h/db', PORT: 3000 },
      headers: { authorization: REDACTED, 'content-type': 'text/csv' },
      client_secret: REDACTED, accessToken: REDACTED, password: REDACTED, rows: 12,
    });
    expect(input.tenant.upn).toBe('alice@contoso.com'); // a copy: the caller's object is untouched
  });

  it('turns errors into masked plain objects and survives cycles', () => {
    const error = new Error('no route to +14255550100');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const out = maskValue({ err: error, cyclic }) as { err: { type: string; message: string; stack: string }; cyclic: { self: unknown } };
    expect(out.err).toMatchObject({ type: 'Error', message: 'no route to +1425*****00' });
    expect(out.err.stack).not.toContain('+14255550100');
    expect(out.cyclic.self).toBe('[Circular]');
  });
});

describe('the log line', () => {
  function capture(level?: string) {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    return { logger: createLogger({ destination: 'stderr', defaultLevel: 'info' }, level, stream as never), lines };
  }

  it('comes out with the phone number and the UPN masked and the client secret redacted', () => {
    const { logger, lines } = capture();
    logger.child({ context: 'PullService', runId: 'r-1' }).info(
      { tenant: 'alice@contoso.com', callerNumber: '+14255550100', credentials: { client_secret: 'hunter2', clientSecret: 'hunter3' }, AZURE_CLIENT_SECRET: 'hunter4' },
      'token for %s, call %s', 'bob@fabrikam.com', '+442071234567',
    );
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({
      level: 'info', context: 'PullService', runId: 'r-1', tenant: 'a***@contoso.com', callerNumber: '+1425*****00',
      credentials: { client_secret: '[Redacted]', clientSecret: '[Redacted]' }, AZURE_CLIENT_SECRET: '[Redacted]',
      msg: 'token for b***@fabrikam.com, call +4420******67',
    });
    expect(lines[0]).not.toMatch(/hunter|alice|bob@|14255550100|442071234567/);
  });

  it('masks a message with numbers in it, and respects the level', () => {
    const { logger, lines } = capture('warn');
    logger.info('not shown +14255550100');
    logger.warn('retrying +14255550100 for carol@contoso.com at postgres://postgres:pw@db/x');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['retrying +1425*****00 for c***@contoso.com at postgres://postgres:***@db/x']);
  });
});
