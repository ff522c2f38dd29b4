import { billableSeconds, FieldError, parseDecimal, parseDuration, parseInstant } from '../../src/carrier-files/parse-values';
import fc from 'fast-check';
import { normalizeNumber } from '../../src/carrier-files/normalize-number';

describe('parseInstant', () => {
  it.each([
    ['2026-11-01T10:00:05Z', 'iso', null, '2026-11-01T10:00:05.000000Z'],
    ['2026-11-01T11:00:05+01:00', 'iso', null, '2026-11-01T10:00:05.000000Z'],
    ['2026-11-01T05:00:05-0500', 'iso', null, '2026-11-01T10:00:05.000000Z'],
    ['2026-11-01 10:00:05.1234567Z', 'iso', null, '2026-11-01T10:00:05.123456Z'], // 7th digit truncated
    ['2026-11-01T10:00:05.5Z', 'iso', null, '2026-11-01T10:00:05.500000Z'],
    ['2026-11-01T23:59:59.999999Z', 'iso', null, '2026-11-01T23:59:59.999999Z'],
    ['2024-02-29T00:00:00Z', 'iso', null, '2024-02-29T00:00:00.000000Z'],
    ['2026-07-01T12:00:00', 'iso', 'Europe/Paris', '2026-07-01T10:00:00.000000Z'], // CEST
    ['2026-12-01T12:00:00', 'iso', 'Europe/Paris', '2026-12-01T11:00:00.000000Z'], // CET
    ['01/12/2026 12:00:00', 'DD/MM/YYYY HH:mm:ss', 'UTC', '2026-12-01T12:00:00.000000Z'],
    ['20261201120000.25', 'YYYYMMDDHHmmss.S', 'America/New_York', '2026-12-01T17:00:00.250000Z'],
    ['1793527205', 'epoch-s', null, '2026-11-01T10:00:05.000000Z'],
    ['1793527205123', 'epoch-ms', null, '2026-11-01T10:00:05.123000Z'],
  ])('%s (%s, %s) is %s', (text, format, zone, iso) => {
    expect(parseInstant(text, format, zone).iso).toBe(iso);
  });

  it.each([
    ['2026-11-01', 'iso', null, /ISO 8601/],
    ['2026-11-01T10:00:05', 'iso', null, /no time zone/],
    ['2026-02-29T10:00:00Z', 'iso', null, /day 29 does not exist/],
    ['2026-11-01T24:00:00Z', 'iso', null, /hour 24/],
    ['2026-11-01T10:00:60Z', 'iso', null, /second 60/],
    ['2026-11-01T10:00:00+15:00', 'iso', null, /offset/],
    ['yesterday', 'iso', null, /ISO 8601/],
    ['1/12/2026 12:00:00', 'DD/MM/YYYY HH:mm:ss', 'UTC', /timestampFormat/],
    // PostgreSQL's text input reads the years 0001 to 9999 (a COPY of another failed the whole file)
    ['0000-06-01T10:00:00Z', 'iso', null, /year 0000/],
    ['0000-06-01T10:00:00.5Z', 'iso', null, /year 0000/],
    ['9999-12-31T23:00:00-05:00', 'iso', null, /outside the years 0001 to 9999 in UTC/],
    ['0001-01-01T00:30:00+01:00', 'iso', null, /outside the years 0001 to 9999 in UTC/],
    ['31/12/9999 23:00:00', 'DD/MM/YYYY HH:mm:ss', 'America/New_York', /outside the years 0001 to 9999 in UTC/],
  ])('rejects %s', (text, format, zone, reason) => {
    expect(() => parseInstant(text, format, zone)).toThrow(reason);
    expect(() => parseInstant(text, format, zone)).toThrow(FieldError);
  });

  it('reads UTC instants with Z (read without a regex) as the same instant with +00:00 (read through the regex and Date)', () => {
    const part = (max: number, width: number) => fc.integer({ min: 0, max }).map((v) => String(v).padStart(width, '0'));
    const text = fc.tuple(fc.integer({ min: 1, max: 9999 }).map((y) => String(y).padStart(4, '0')), part(13, 2), part(32, 2), part(25, 2), part(60, 2), part(61, 2), fc.stringMatching(/^(\.\d{0,13})?$/))
      .map(([y, mo, d, h, mi, s, frac]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${frac}Z`);
    const outcome = (t: string) => {
      try {
        return parseInstant(t, 'iso', null).iso;
      } catch (e) {
        return e instanceof FieldError ? 'rejected' : 'thrown';
      }
    };
    let read = 0;
    fc.assert(fc.property(text, (t) => {
      const iso = outcome(t);
      if (iso !== 'rejected') read++;
      expect(iso).toBe(outcome(t.replace(/Z$/, '+00:00')));
    }), { numRuns: 3000 });
    expect(read).toBeGreaterThan(500);
  });

  it('gives canonical texts that sort in time order whatever the input form', () => {
    const a = parseInstant('2026-11-01T10:00:05.000001Z', 'iso', null);
    const b = parseInstant('2026-11-01T11:00:05.000002+01:00', 'iso', null);
    const c = parseInstant('2026-11-01T10:00:05.00001Z', 'iso', null);
    expect(b.epochMicros).toBe(Date.UTC(2026, 10, 1, 10, 0, 5) * 1000 + 2);
    expect([c.iso, b.iso, a.iso].sort()).toEqual([a.iso, b.iso, c.iso]);
  });
});

describe('parseDecimal and parseDuration', () => {
  it.each([
    ['219', 's', '.', '219'],
    ['219.4', 's', '.', '219.4'],
    ['219,40', 's', ',', '219.4'],
    ['0', 's', '.', '0'],
    ['007.500', 's', '.', '7.5'],
    ['219400', 'ms', '.', '219.4'],
    ['5', 'ms', '.', '0.005'],
    ['0', 'ms', '.', '0'],
    ['01:02:03', 'hh:mm:ss', '.', '3723'],
    ['00:00:03.25', 'hh:mm:ss', '.', '3.25'],
    ['277777:46:39', 'hh:mm:ss', '.', '999999999'], // the most duration_seconds holds
    ['999999999999', 'ms', '.', '999999999.999'],
  ] as const)('duration %s (%s) is %s seconds', (text, unit, sep, out) => {
    expect(parseDuration(text, unit, sep)).toBe(out);
  });

  it.each([
    ['-1', 's', /negative/],
    ['1.2345', 's', /more than 3 decimals/],
    ['1e3', 's', /not a decimal/],
    ['', 's', /not a decimal/],
    ['1.5', 'ms', /more than 0 decimals/],
    ['1:2:3', 'hh:mm:ss', /hh:mm:ss/],
    ['00:61:00', 'hh:mm:ss', /hh:mm:ss/],
    ['277777:46:40', 'hh:mm:ss', /too large/], // one second past numeric(12,3): the COPY failed the whole file
    ['999999:00:00', 'hh:mm:ss', /too large/],
    ['1000000000', 's', /too large/],
  ] as const)('duration %s (%s) is rejected', (text, unit, reason) => {
    expect(() => parseDuration(text, unit, '.')).toThrow(reason);
  });

  it('keeps money exact and bounded', () => {
    expect(parseDecimal('0.1', '.', 6, 12)).toBe('0.1');
    expect(parseDecimal('12.830000', '.', 6, 12)).toBe('12.83');
    expect(parseDecimal('999999999999.999999', '.', 6, 12)).toBe('999999999999.999999');
    expect(() => parseDecimal('0.1234567', '.', 6, 12)).toThrow(/more than 6 decimals/);
    expect(() => parseDecimal('1234567890123', '.', 6, 12)).toThrow(/too large/);
    expect(() => parseDecimal('1,5', '.', 6, 12)).toThrow(/not a decimal/);
  });
});

describe('billableSeconds', () => {
  // max(first, first + ceil((d − first)/next) · next) for d > 0; 0 for d = 0
  it.each([
    ['0', 60, 60, 0],
    ['0.001', 60, 60, 60],
    ['60', 60, 60, 60],
    ['60.001', 60, 60, 120],
    ['61', 60, 1, 61],
    ['61.2', 30, 6, 66],
    ['29', 30, 6, 30],
    ['31', 30, 6, 36],
    ['7', 6, 6, 12],
    ['219.4', 1, 1, 220],
  ])('%s s at %i/%i bills %i s', (d, first, next, billed) => {
    expect(billableSeconds(d, first, next)).toBe(billed);
  });

  it('never bills less than the duration, nor more than one increment above it', () => {
    for (let tenths = 1; tenths < 5000; tenths += 7) {
      const d = `${Math.floor(tenths / 10)}.${tenths % 10}`;
      for (const [first, next] of [[60, 60], [30, 6], [1, 1], [60, 1]]) {
        const billed = billableSeconds(d, first, next);
        expect(billed).toBeGreaterThanOrEqual(tenths / 10);
        expect(billed - Math.max(first, tenths / 10)).toBeLessThan(next);
      }
    }
  });
});

describe('normalizeNumber', () => {
  it.each([
    ['+14255550100', null, [], '+14255550100'],
    ['+1 (425) 555-0100', null, [], '+14255550100'],
    ['0033142685300', null, [], '+33142685300'],
    ['tel:+442079460000', null, [], '+442079460000'],
    ['01 42 68 53 00', 'FR', [], '+33142685300'],
    ['(425) 555-0100', 'US', [], '+14255550100'],
    ['9#0142685300', 'FR', ['9#'], '+33142685300'],
  ] as const)('%s (%s) is %s', (text, country, strip, e164) => {
    expect(normalizeNumber(text, country, strip)).toBe(e164);
  });

  it.each([
    ['0142685300', null, /defaultCountry/],
    ['+1', null, /E.164/],
    ['anonymous', null, /not a telephone number/],
    ['12', 'FR', /not a possible FR number/],
  ] as const)('rejects %s (%s)', (text, country, reason) => {
    expect(() => normalizeNumber(text, country, [])).toThrow(reason);
  });
});
