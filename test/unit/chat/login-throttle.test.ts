import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../../src/chat/login-throttle.js';

function clock() {
  const time = { now: 1_000_000 };
  return { time, throttle: new LoginThrottle(() => time.now) };
}

describe('LoginThrottle', () => {
  it('lets five failures through, then shuts the address out, longer with each failure', () => {
    const { time, throttle } = clock();
    for (let i = 0; i < 4; i++) throttle.failed('10.0.0.1');
    expect(throttle.refusal('10.0.0.1')).toBeUndefined();
    throttle.failed('10.0.0.1');
    expect(throttle.refusal('10.0.0.1')).toBe('too many failed logins from 10.0.0.1; try again in 2 s');
    expect(throttle.refusal('10.0.0.2')).toBeUndefined();
    time.now += 2000;
    expect(throttle.refusal('10.0.0.1')).toBeUndefined();
    throttle.failed('10.0.0.1');
    expect(throttle.refusal('10.0.0.1')).toMatch(/try again in 4 s$/);
    for (let i = 0; i < 20; i++) throttle.failed('10.0.0.1');
    expect(throttle.refusal('10.0.0.1')).toMatch(/try again in 300 s$/);
  });

  it('forgets an address after a success, or after ten quiet minutes', () => {
    const { time, throttle } = clock();
    for (let i = 0; i < 5; i++) throttle.failed('a');
    throttle.succeeded('a');
    expect(throttle.refusal('a')).toBeUndefined();
    for (let i = 0; i < 4; i++) throttle.failed('b');
    time.now += 10 * 60_000 + 1;
    throttle.failed('b'); // the earlier four are too old to count
    expect(throttle.refusal('b')).toBeUndefined();
  });

  it('runs at most two checks at once per address, the rest in turn', async () => {
    const { throttle } = clock();
    let running = 0;
    let most = 0;
    const check = () =>
      throttle.check('a', async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running -= 1;
      });
    await Promise.all([check(), check(), check(), check(), check()]);
    expect(most).toBe(2);
  });

  it('never throttles a member without an address (the server’s own terminal)', () => {
    const { throttle } = clock();
    for (let i = 0; i < 50; i++) throttle.failed(undefined);
    expect(throttle.refusal(undefined)).toBeUndefined();
  });
});
