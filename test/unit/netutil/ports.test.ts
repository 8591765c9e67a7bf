import { describe, expect, it } from 'vitest';
import { RocketError } from '../../../src/errors.js';
import { classifyPort, describePort, isPort, parsePortNumber } from '../../../src/netutil/ports.js';

describe('classifyPort', () => {
  it.each([
    [0, 'well-known'],
    [22, 'well-known'],
    [1023, 'well-known'],
    [1024, 'registered'],
    [8888, 'registered'],
    [49151, 'registered'],
    [49152, 'dynamic'],
    [65535, 'dynamic'],
  ] as const)('puts %i in the %s range', (port, cls) => {
    expect(classifyPort(port)).toBe(cls);
  });

  it('throws a RangeError outside 0-65535', () => {
    expect(() => classifyPort(65536)).toThrow(RangeError);
    expect(() => classifyPort(-1)).toThrow(RangeError);
    expect(() => classifyPort(1.5)).toThrow(RangeError);
  });
});

describe('isPort', () => {
  it('accepts whole numbers 0-65535 only', () => {
    expect([0, 1, 65535].every(isPort)).toBe(true);
    expect([-1, 65536, 1.5, Number.NaN, '80'].some(isPort)).toBe(false);
  });
});

describe('describePort', () => {
  it('gives the class and the IANA services for both transports', () => {
    const info = describePort(22);
    expect(info).toMatchObject({ port: 22, class: 'well-known', classLabel: 'well-known (0-1023)' });
    expect(info.services.tcp[0]).toEqual({ name: 'ssh', description: 'The Secure Shell (SSH) Protocol' });
    expect(info.services.udp.map((s) => s.name)).toContain('ssh');
  });

  it('gives an empty list for a port nobody registered', () => {
    expect(describePort(49999).services).toEqual({ tcp: [], udp: [] });
  });
});

describe('parsePortNumber', () => {
  it('reads whole numbers, spaces allowed', () => {
    expect(parsePortNumber('8888')).toBe(8888);
    expect(parsePortNumber(' 0 ')).toBe(0);
    expect(parsePortNumber('65535')).toBe(65535);
  });

  it('rejects out-of-range numbers as a usage error with exit status 2', () => {
    let caught: unknown;
    try {
      parsePortNumber('99999');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RocketError);
    expect(caught).toMatchObject({ exitCode: 2, code: 'ROCKET_ERR_PORT_RANGE' });
    expect((caught as Error).message).toBe('port 99999 is out of range: ports go from 0 to 65535');
  });

  it.each(['80.5', '-1', 'eighty', ''])('rejects %j as not a port number', (text) => {
    expect(() => parsePortNumber(text)).toThrow(/is not a port number/);
  });
});
