import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRowValidator, resolveColumns } from '../../src/carrier-files/cdr-row';
import { CANONICAL_PROFILE, parseBillingIncrement, parseProfile } from '../../src/carrier-files/profile';

describe('carrier file profiles', () => {
  it('accepts the example profile shipped in config/profiles', () => {
    const doc = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'profiles', 'example-eu.json'), 'utf8'));
    const p = parseProfile(doc, 'example-eu');
    expect(p).toMatchObject({ delimiter: ';', timeZone: 'Europe/Paris', durationUnit: 'hh:mm:ss', decimalSeparator: ',', billingIncrement: { first: 60, next: 1 } });
  });

  it.each([
    [{ delimiter: '"' }, /delimiter must be one character other than a quote/],
    [{ header: 'yes' }, /header must be true or false/],
    [{ header: false }, /columns.start_time is required when header is false/],
    [{ header: false, columns: { start_time: 'START' } }, /columns.start_time must be a column position/],
    [{ columns: { start: 'S' } }, /columns.start is not a canonical column/],
    [{ columns: { start_time: 'X', end_time: 'x' } }, /columns.end_time and columns.start_time name the same column/],
    [{ timestampFormat: 'DD/MM/YYYY HH:mm:ss' }, /timeZone is required with a timestampFormat pattern/],
    [{ timestampFormat: 'iso', timeZone: 'Mars/Olympus' }, /timeZone must be an IANA time zone/],
    [{ decimalSeparator: ',', delimiter: ',' }, /decimalSeparator and delimiter must differ/],
    [{ defaultCurrency: 'usd' }, /defaultCurrency must be an ISO 4217 code/],
    [{ defaultCountry: 'FRA' }, /defaultCountry must be an ISO 3166 alpha-2 code/],
    [{ stripPrefixes: [''] }, /stripPrefixes must be an array of non-empty strings/],
    [{ billingIncrement: '0/60' }, /billingIncrement must be "first\/next"/],
    [[], /must be a JSON object/],
  ])('rejects %j naming the key', (doc, message) => {
    expect(() => parseProfile(doc, 'p')).toThrow(message);
  });

  it.each([
    ['60/60', { first: 60, next: 60 }],
    [' 30 / 6 ', { first: 30, next: 6 }],
    ['1/1', { first: 1, next: 1 }],
    ['60', null],
    ['0/1', null],
    ['a/b', null],
  ])('billing increment %j is %j', (text, inc) => {
    expect(parseBillingIncrement(text)).toEqual(inc);
  });

  it('maps renamed headers case-insensitively and reports a missing renamed column', () => {
    const p = parseProfile({ columns: { start_time: 'Start', caller_number: 'A-Number' } });
    const header = ['START', 'duration_seconds', 'a-number', 'callee_number'];
    const validate = makeRowValidator(p, resolveColumns(p, header), header);
    const r = validate(['2026-11-01T10:00:00Z', '1', '+14255550100', '+14255550101'], 2);
    expect(r.ok).toBe(true);
    expect(() => resolveColumns(p, ['start_time', 'duration_seconds', 'caller_number', 'callee_number'])).toThrow('line 1: the header has no column "Start"');
    expect(() => resolveColumns(CANONICAL_PROFILE, ['start_time', 'START_TIME'])).toThrow('names column "START_TIME" twice');
  });

  it('reports every bad field of a row, each with its column as the file names it', () => {
    const header = ['record_id', 'Start_Time', 'duration_seconds', 'caller_number', 'callee_number', 'charge', 'currency'];
    const validate = makeRowValidator(CANONICAL_PROFILE, resolveColumns(CANONICAL_PROFILE, header), header);
    const r = validate(['R1', 'soon', '1.0001', '+1425', '+14255550101', '1,5', 'EURO'], 9);
    expect(r).toEqual({
      ok: false,
      problems: [
        { line: 9, column: 'Start_Time', reason: '"soon" is not an ISO 8601 date-time such as 2026-11-01T10:00:05Z' },
        { line: 9, column: 'duration_seconds', reason: '"1.0001" has more than 3 decimals' },
        { line: 9, column: 'caller_number', reason: '"+1425" is not an E.164 number (national numbers need defaultCountry in the profile)' },
        { line: 9, column: 'charge', reason: '"1,5" is not a decimal number' },
        { line: 9, column: 'currency', reason: '"EURO" is not an ISO 4217 currency code such as USD' },
      ],
    });
    expect(validate(['R1', '2026-11-01T10:00:00Z', '1'], 10)).toEqual({ ok: false, problems: [{ line: 10, column: '', reason: 'expected 7 fields, found 3' }] });
  });
});
