import { sleepUnlessAborted } from '../../src/common/sleep';

describe('sleepUnlessAborted', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const settled = async (p: Promise<void>) => {
    let done = false;
    void p.then(() => (done = true));
    await Promise.resolve();
    await Promise.resolve();
    return done;
  };

  it('waits the whole time when nothing aborts it', async () => {
    const p = sleepUnlessAborted(60_000, new AbortController().signal);
    await jest.advanceTimersByTimeAsync(59_999);
    expect(await settled(p)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settled(p)).toBe(true);
  });

  it('ends as soon as the signal is aborted, leaving no timer behind', async () => {
    const stop = new AbortController();
    const p = sleepUnlessAborted(300_000, stop.signal);
    await jest.advanceTimersByTimeAsync(10);
    expect(await settled(p)).toBe(false);
    stop.abort('SIGTERM');
    expect(await settled(p)).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('does not wait at all when the signal was aborted before', async () => {
    const stop = new AbortController();
    stop.abort();
    expect(await settled(sleepUnlessAborted(300_000, stop.signal))).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });
});
