import { parse } from 'lossless-json';
import { adminExportRow, ADMIN_EXPORT_COLUMNS, resolveAdminExportHeader } from '../../src/microsoft-logs/admin-export-row';
import { backoffMs, classifyGraphFailure, GraphFailure, isTemporary, retryAfterMs } from '../../src/microsoft-logs/graph-failure';
import { toStoredRow } from '../../src/microsoft-logs/graph-row';
import { decimalText, graphTimestamp, holdsNulEscape } from '../../src/microsoft-logs/graph-values';
import { functionUrl, splitWindow } from '../../src/microsoft-logs/graph-window';
import { nextSlotDelay } from '../../src/microsoft-logs/rate-limiter';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const DAY = 86_400_000;

describe('is this Graph error temporary?', () => {
  const cases: [string, GraphFailure, ReturnType<typeof classifyGraphFailure>][] = [
    ['429 with Retry-After seconds', { status: 429, retryAfter: '7' }, { action: 'wait', ms: 7000 }],
    ['429 with Retry-After as an HTTP date', { status: 429, retryAfter: new Date(NOW + 3000).toUTCString() }, { action: 'wait', ms: 3000 }],
    ['429 with a date already past', { status: 429, retryAfter: new Date(NOW - 3000).toUTCString() }, { action: 'wait', ms: 0 }],
    ['429 without Retry-After', { status: 429 }, { action: 'backoff' }],
    ['429 with an unreadable Retry-After', { status: 429, retryAfter: 'soon' }, { action: 'backoff' }],
    ['503', { status: 503 }, { action: 'backoff' }],
    ['503 with Retry-After', { status: 503, retryAfter: '2' }, { action: 'wait', ms: 2000 }],
    ['504', { status: 504 }, { action: 'backoff' }],
    ['connection reset', { networkCode: 'ECONNRESET' }, { action: 'backoff' }],
    ['timeout', { networkCode: 'ETIMEDOUT' }, { action: 'backoff' }],
    ['an unreadable 200', { networkCode: 'EBADBODY' }, { action: 'backoff' }],
    ['unknown host (configuration)', { networkCode: 'ENOTFOUND' }, { action: 'stop', reason: 'other' }],
    ['certificate not trusted', { networkCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, { action: 'stop', reason: 'other' }],
    ['first 401', { status: 401 }, { action: 'renew-token' }],
    ['401 after a renewal', { status: 401, tokenRenewed: true }, { action: 'stop', reason: 'unauthorized' }],
    ['403: consent or permission missing', { status: 403 }, { action: 'stop', reason: 'forbidden' }],
    ['400: window too long', { status: 400 }, { action: 'stop', reason: 'bad-request' }],
    ['404', { status: 404 }, { action: 'stop', reason: 'not-found' }],
    ['500', { status: 500 }, { action: 'stop', reason: 'other' }],
  ];
  it.each(cases)('%s', (_name, failure, expected) => {
    expect(classifyGraphFailure(failure, NOW)).toEqual(expected);
    expect(isTemporary(failure, NOW)).toBe(expected.action === 'wait' || expected.action === 'backoff');
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('0', NOW)).toBe(0);
    expect(retryAfterMs(' 120 ', NOW)).toBe(120_000);
    expect(retryAfterMs('Thu, 01 Jan 2026 12:00:10 GMT', NOW)).toBe(10_000);
    expect(retryAfterMs(undefined, NOW)).toBeNull();
    expect(retryAfterMs('-1', NOW)).toBeNull();
  });

  it('backs off exponentially with jitter, never beyond the cap', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      for (const r of [0, 0.5, 0.999]) {
        const ms = backoffMs(attempt, 100, 5000, r);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThanOrEqual(Math.min(5000, 100 * 2 ** attempt));
      }
    }
    expect(backoffMs(3, 100, 5000, 0.5)).toBe(400);
  });
});

describe('rate limiter', () => {
  it('never lets more than `limit` requests into any window', () => {
    const sent: number[] = [];
    let now = 0;
    for (let i = 0; i < 1000; i++) {
      now += nextSlotDelay(sent, now, 190, 60_000);
      sent.push(now);
      now += i % 7; // callers arrive irregularly
    }
    for (let i = 190; i < sent.length; i++) expect(sent[i] - sent[i - 190]).toBeGreaterThanOrEqual(60_000);
  });
  it('does not wait while under the limit', () => {
    expect(nextSlotDelay([0, 1, 2], 3, 5, 1000)).toBe(0);
    expect(nextSlotDelay([0, 1, 2, 3, 4], 5, 5, 1000)).toBe(995);
  });
});

describe('windows', () => {
  it('split into contiguous chunks of at most 90 days covering [from, to)', () => {
    for (const days of [1, 89, 90, 91, 180, 181, 365]) {
      const w = { fromMs: Date.UTC(2025, 0, 1), toMs: Date.UTC(2025, 0, 1) + days * DAY + 1234 };
      const chunks = splitWindow(w);
      expect(chunks[0].fromMs).toBe(w.fromMs);
      expect(chunks[chunks.length - 1].toMs).toBe(w.toMs);
      for (let i = 0; i < chunks.length; i++) {
        expect(chunks[i].toMs - chunks[i].fromMs).toBeLessThanOrEqual(90 * DAY);
        if (i > 0) expect(chunks[i].fromMs).toBe(chunks[i - 1].toMs);
      }
    }
    expect(splitWindow({ fromMs: 5, toMs: 5 })).toEqual([]);
  });
  it('are written in UTC with Z', () => {
    expect(functionUrl('https://graph.microsoft.com/', 'pstn', { fromMs: Date.UTC(2024, 4, 1), toMs: Date.UTC(2024, 4, 2, 0, 0, 0, 500) })).toBe(
      'https://graph.microsoft.com/v1.0/communications/callRecords/getPstnCalls(fromDateTime=2024-05-01T00:00:00Z,toDateTime=2024-05-02T00:00:00.500Z)');
    expect(functionUrl('https://x', 'dialout', { fromMs: 0, toMs: DAY })).toContain('/beta/communications/callRecords/getPstnOnlineMeetingDialoutReport(');
  });
});

describe('values', () => {
  it.each([
    ['2024-05-01T10:00:00.1234567Z', '2024-05-01T10:00:00.123456Z'], // 7 digits: truncated, not rounded
    ['2024-05-01T10:00:00.9999999Z', '2024-05-01T10:00:00.999999Z'],
    ['2024-05-01T10:00:00.98765Z', '2024-05-01T10:00:00.987650Z'],
    ['2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z'],
    ['2024-05-01T12:00:00+02:00', '2024-05-01T10:00:00Z'],
    ['0001-01-01T00:00:00Z', null], // Graph's "no time"
    ['', null],
  ])('timestamp %s -> %s', (text, expected) => {
    expect(graphTimestamp(text, 'startDateTime')).toBe(expected);
  });
  // year 0: PostgreSQL's text input refuses it (a COPY of it failed the whole import)
  it.each(['2024-13-01T00:00:00Z', '2024-05-01 10:00', 'yesterday', '2023-02-29T00:00:00Z', '0000-06-01T00:00:00Z', '0000-06-01T02:00:00+02:00',
    '9999-12-31T23:59:59-05:00', '0001-01-01T00:30:00+01:00'])('rejects timestamp %s', (text) => {
    expect(() => graphTimestamp(text, 'startDateTime')).toThrow(/startDateTime/);
  });
  it.each([
    ['0.1', '0.1'], ['-12.50', '-12.50'], ['1.5E-7', '0.00000015'], ['12e2', '1200'], ['1.25e+1', '12.5'], ['0.000123456789012345678901', '0.000123456789012345678901'],
  ])('decimal %s -> %s', (text, expected) => expect(decimalText(text, 'charge')).toBe(expected));
  it.each(['abc', '1,5', '', '0x10'])('rejects decimal %j', (text) => expect(() => decimalText(text, 'charge')).toThrow(/charge/));
  it.each([
    [String.raw`{"a":"x\u0000"}`, true], [String.raw`{"a":"\u00001"}`, true], [String.raw`{"a":"\\\u0000"}`, true],
    [String.raw`{"a":"\\u0000"}`, false], [String.raw`{"a":"\\\\u0000"}`, false], [String.raw`{"a":"\u0001"}`, false], ['{"a":"u0000"}', false],
  ])('finds the escape \\u0000 in %s: %s', (json, expected) => expect(holdsNulEscape(json)).toBe(expected));
  // PostgreSQL's numeric: 131072 digits before the point, 16383 after
  it.each([`0.${'1'.repeat(16_384)}`, '1e-16384', '1e131072', `-${'9'.repeat(131_073)}`])('rejects a decimal numeric cannot hold (%#)', (text) =>
    expect(() => decimalText(text, 'charge')).toThrow(/^charge .* has more digits than PostgreSQL's numeric holds$/));
  it.each([`0.${'1'.repeat(16_383)}`, '1e-16383', '1e131071', `-${'9'.repeat(131_072)}`])('takes a decimal at numeric\'s limits (%#)', (text) =>
    expect(decimalText(text, 'charge').replace('-', '').replace('.', '').length).toBeGreaterThan(16_000));
});

describe('Graph rows', () => {
  it('keep money exact from the JSON text, unknown enum values as data, and the raw row', () => {
    const row = parse('{"id":"r1","callId":"c1","charge":0.12345678901234567890123,"connectionCharge":1E-20,"duration":61,"callType":"user_out_something_new","startDateTime":"2024-05-01T10:00:00.1234567Z"}');
    const r = toStoredRow(row, 'pstn');
    expect(r).toMatchObject({ ok: true, row: { id: 'r1', call_id: 'c1', charge: '0.12345678901234567890123', connection_charge: '0.00000000000000000001', duration_seconds: 61, call_type: 'user_out_something_new', start_time: '2024-05-01T10:00:00.123456Z' } });
  });
  it('report why a row cannot be stored', () => {
    expect(toStoredRow(parse('{"callId":"c"}'), 'pstn')).toEqual({ ok: false, reason: 'id is missing' });
    expect(toStoredRow(parse('{"id":"x","charge":"lots"}'), 'pstn')).toEqual({ ok: false, reason: 'charge "lots" is not a decimal number' });
    expect(toStoredRow(parse('{"id":"x","duration":1.5}'), 'pstn')).toMatchObject({ ok: false, reason: expect.stringContaining('duration') });
    expect(toStoredRow(42, 'pstn')).toEqual({ ok: false, reason: 'is not a JSON object' });
  });
  it('map Direct Routing rows: correlationId as call id, the 0001 failure time as none', () => {
    const r = toStoredRow(parse('{"id":"d1","correlationId":"k","successfulCall":true,"finalSipCode":200,"failureDateTime":"0001-01-01T00:00:00Z"}'), 'direct-routing');
    expect(r).toMatchObject({ ok: true, row: { call_id: 'k', successful_call: true, final_sip_code: 200, charge: null } });
  });
  it('read an admin-center export line (UsageId is the id, no zone means UTC)', () => {
    const header = [...ADMIN_EXPORT_COLUMNS].reverse();
    const at = resolveAdminExportHeader(header);
    const values: Record<string, string> = { UsageId: 'u-1', 'Call ID': 'c-1', 'Start Time': '2024-05-01 10:00:00', 'Duration Seconds': '61', Charge: '0.0123456789', 'Connection Fee': '0', Currency: 'EUR' };
    const r = adminExportRow(header.map((h) => values[h] ?? ''), at, 'Fabrikam');
    expect(r).toMatchObject({ ok: true, row: { id: 'u-1', call_id: 'c-1', start_time: '2024-05-01T10:00:00Z', duration_seconds: 61, charge: '0.0123456789', connection_charge: '0', currency: 'EUR', operator: 'Fabrikam' } });
    expect(() => resolveAdminExportHeader(['UsageId', 'Charge'])).toThrow(/lacks Call ID/);
    // U+0000 in any field (stored or only kept as evidence): refused by name
    const withNul: Record<string, string> = { ...values, Capability: 'MCO\u0000PSTN' };
    expect(adminExportRow(header.map((h) => withNul[h] ?? ''), at, 'Fabrikam')).toEqual({ ok: false, reason: 'Capability holds a NUL character (U+0000), which PostgreSQL text cannot store' });
    const withReplacement: Record<string, string> = { ...values, 'User Display Name': 'Ren\uFFFD' }; // a Windows-1252 é, read as UTF-8
    expect(adminExportRow(header.map((h) => withReplacement[h] ?? ''), at, 'Fabrikam')).toEqual({ ok: false, reason: 'User Display Name holds U+FFFD, the mark of bytes that are not UTF-8 (the export must be UTF-8)' });
  });
  it('refuse an id past 512 bytes (its index entry must fit), in Graph rows and in the export', () => {
    expect(toStoredRow(parse(`{"id":"${'é'.repeat(257)}"}`), 'pstn')).toEqual({ ok: false, reason: 'id is longer than 512 bytes' }); // 514 bytes
    expect(toStoredRow(parse(`{"id":"${'x'.repeat(512)}"}`), 'pstn')).toMatchObject({ ok: true });
    const header = [...ADMIN_EXPORT_COLUMNS];
    const at = resolveAdminExportHeader(header);
    expect(adminExportRow(header.map((h) => (h === 'UsageId' ? 'u'.repeat(513) : '')), at, 'Fabrikam')).toEqual({ ok: false, reason: 'UsageId is longer than 512 bytes' });
  });
  it('refuse a string holding U+0000, naming the field', () => {
    expect(toStoredRow(parse('{"id":"x","userDisplayName":"a\\u0000b"}'), 'pstn')).toEqual({ ok: false, reason: 'userDisplayName holds a NUL character (\\u0000), which PostgreSQL text cannot store' });
  });
});
