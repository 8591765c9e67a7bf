import { describe, expect, it } from 'vitest';
import { formatPortList, parsePortList } from '../../../src/netutil/port-list.js';

describe('parsePortList', () => {
  it('reads single ports and inclusive ranges', () => {
    expect(parsePortList('22,80,8000-8003')).toEqual([22, 80, 8000, 8001, 8002, 8003]);
  });

  it('sorts and removes duplicates and overlaps', () => {
    expect(parsePortList('443, 80 ,443,79-81')).toEqual([79, 80, 81, 443]);
  });

  it('allows a one-port range and the whole port space', () => {
    expect(parsePortList('5-5')).toEqual([5]);
    const all = parsePortList('0-65535');
    expect(all).toHaveLength(65536);
    expect(all[0]).toBe(0);
    expect(all.at(-1)).toBe(65535);
  });

  it.each([
    ['', /no ports given/],
    ['  ', /no ports given/],
    ['22,,80', /empty item in port list "22,,80"/],
    ['22,', /empty item/],
    ['ssh', /"ssh" in port list "ssh" is not a port or range/],
    ['1-2-3', /"1-2-3" .* is not a port or range/],
    ['-5', /not a port or range/],
    ['80-', /not a port or range/],
    ['70000', /port 70000 in port list "70000" is out of range: ports go from 0 to 65535/],
    ['1-65536', /port 65536 .* out of range/],
    ['8100-8000', /range 8100-8000 in port list "8100-8000" is backwards: write 8000-8100/],
  ])('rejects %j with a one-line usage error', (spec, message) => {
    let caught: unknown;
    try {
      parsePortList(spec);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ name: 'UsageError', exitCode: 2 });
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain('\n');
  });
});

describe('formatPortList', () => {
  it('writes runs of consecutive ports as ranges', () => {
    expect(formatPortList([8002, 22, 8000, 80, 8001])).toBe('22,80,8000-8002');
    expect(formatPortList([6000])).toBe('6000');
    expect(formatPortList([])).toBe('');
  });

  it('round-trips with parsePortList', () => {
    const spec = '1-3,7,9-12,65535';
    expect(formatPortList(parsePortList(spec))).toBe(spec);
  });
});
