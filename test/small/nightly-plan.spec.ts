import { backoffMs, nextDay, nightDays, parseDay, yesterday } from '../../src/batch/nightly-plan';

describe('nightly plan', () => {
  it.each([
    ['2026-11-01', 2, ['2026-10-30', '2026-10-31', '2026-11-01']],
    ['2026-03-01', 1, ['2026-02-28', '2026-03-01']],
    ['2024-03-01', 1, ['2024-02-29', '2024-03-01']],
    ['2027-01-01', 0, ['2027-01-01']],
  ])('the night of %s with %i trailing days works on %j, oldest first', (day, trailing, days) => {
    expect(nightDays(day, trailing)).toEqual(days);
  });

  it('defaults to yesterday in UTC, whatever the hour', () => {
    expect(yesterday(Date.parse('2026-11-02T00:00:00Z'))).toBe('2026-11-01');
    expect(yesterday(Date.parse('2026-11-02T23:59:59.999Z'))).toBe('2026-11-01');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
  });

  it.each(['2026-02-30', '2026-13-01', '26-11-01', '2026-11-01T00:00:00Z', ''])('rejects %j as a day', (text) => {
    expect(() => parseDay(text)).toThrow('is not a day YYYY-MM-DD');
  });

  it('backs off exponentially with jitter, within half to all of the cap', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const cap = Math.min(60000, 1000 * 2 ** (attempt - 1));
      expect(backoffMs(attempt, 1000, 60000, () => 0)).toBe(Math.floor(cap / 2));
      expect(backoffMs(attempt, 1000, 60000, () => 0.999999)).toBeLessThanOrEqual(cap);
      expect(backoffMs(attempt, 1000, 60000, () => 0.999999)).toBeGreaterThan(cap * 0.99);
    }
  });
});
