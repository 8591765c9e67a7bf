import { describe, expect, it } from 'vitest';
import { classifyAddress, prefixLengthOfNetmask } from '../../../src/netutil/address-class.js';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.15.255.255', 'public'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['192.168.1.20', 'private'],
    ['100.63.255.255', 'public'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.0', 'public'],
    ['169.254.10.20', 'link-local'],
    ['192.0.2.2', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'reserved'],
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
  ])('classifies IPv4 %s as %s', (address, kind) => {
    expect(classifyAddress(address).kind).toBe(kind);
  });

  it.each([
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::fc:ff:fe00:1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001:0:4136:e378::1', 'public'],
    ['2002:c000:204::1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['64:ff9b::192.0.2.33', 'nat64'],
    ['4000::1', 'reserved'],
  ])('classifies IPv6 %s as %s', (address, kind) => {
    expect(classifyAddress(address).kind).toBe(kind);
  });

  it('classifies an IPv4-mapped IPv6 address by its IPv4 part', () => {
    expect(classifyAddress('::ffff:127.0.0.1').kind).toBe('loopback');
    expect(classifyAddress('::ffff:192.168.0.9').kind).toBe('private');
    expect(classifyAddress('::ffff:c0a8:9').kind).toBe('private');
    expect(classifyAddress('::ffff:8.8.8.8').kind).toBe('public');
  });

  it('describes the common classes in plain words', () => {
    expect(classifyAddress('127.0.0.1').label).toBe('loopback');
    expect(classifyAddress('192.168.1.1').label).toBe('private LAN');
    expect(classifyAddress('fd00::2').label).toBe('private LAN (IPv6 unique local)');
    expect(classifyAddress('100.64.0.1').label).toBe('shared address space (carrier-grade NAT)');
    expect(classifyAddress('169.254.1.1').label).toMatch(/^link-local/);
    expect(classifyAddress('93.184.216.34').label).toBe('public');
  });

  it('rejects text that is not an IP address with a TypeError', () => {
    expect(() => classifyAddress('example.com')).toThrow(TypeError);
    expect(() => classifyAddress('256.1.1.1')).toThrow(/not an IPv4 or IPv6 address/);
    expect(() => classifyAddress('')).toThrow(TypeError);
  });
});

describe('prefixLengthOfNetmask', () => {
  it.each([
    ['255.255.255.0', 24],
    ['255.0.0.0', 8],
    ['255.255.255.255', 32],
    ['0.0.0.0', 0],
    ['255.255.240.0', 20],
    ['ffff:ffff:ffff:ffff::', 64],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 128],
  ])('gives %s as /%i', (netmask, length) => {
    expect(prefixLengthOfNetmask(netmask)).toBe(length);
  });

  it('returns undefined for a mask that is not ones then zeros, or not an address', () => {
    expect(prefixLengthOfNetmask('255.0.255.0')).toBeUndefined();
    expect(prefixLengthOfNetmask('mask')).toBeUndefined();
  });
});
