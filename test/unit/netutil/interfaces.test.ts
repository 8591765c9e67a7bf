import type os from 'node:os';
import { describe, expect, it } from 'vitest';
import { listInterfaces } from '../../../src/netutil/interfaces.js';

const sample: NodeJS.Dict<os.NetworkInterfaceInfo[]> = {
  lo: [
    {
      address: '127.0.0.1',
      netmask: '255.0.0.0',
      family: 'IPv4',
      mac: '00:00:00:00:00:00',
      internal: true,
      cidr: '127.0.0.1/8',
    },
  ],
  eth0: [
    {
      address: '192.168.1.20',
      netmask: '255.255.255.0',
      family: 'IPv4',
      mac: 'aa:bb:cc:dd:ee:ff',
      internal: false,
      cidr: null,
    },
    {
      address: 'fe80::a8bb:ccff:fedd:eeff',
      netmask: 'ffff:ffff:ffff:ffff::',
      family: 'IPv6',
      mac: 'aa:bb:cc:dd:ee:ff',
      internal: false,
      cidr: 'fe80::a8bb:ccff:fedd:eeff/64',
      scopeid: 2,
    },
  ],
};

describe('listInterfaces', () => {
  it('gives one classified entry per address with CIDR and MAC', () => {
    expect(listInterfaces(sample)).toEqual([
      {
        interface: 'lo',
        family: 'IPv4',
        address: '127.0.0.1',
        netmask: '255.0.0.0',
        prefixLength: 8,
        cidr: '127.0.0.1/8',
        mac: null,
        internal: true,
        class: 'loopback',
        classLabel: 'loopback',
      },
      {
        interface: 'eth0',
        family: 'IPv4',
        address: '192.168.1.20',
        netmask: '255.255.255.0',
        prefixLength: 24,
        cidr: '192.168.1.20/24',
        mac: 'aa:bb:cc:dd:ee:ff',
        internal: false,
        class: 'private',
        classLabel: 'private LAN',
      },
      {
        interface: 'eth0',
        family: 'IPv6',
        address: 'fe80::a8bb:ccff:fedd:eeff',
        netmask: 'ffff:ffff:ffff:ffff::',
        prefixLength: 64,
        cidr: 'fe80::a8bb:ccff:fedd:eeff/64',
        mac: 'aa:bb:cc:dd:ee:ff',
        internal: false,
        scopeId: 2,
        class: 'link-local',
        classLabel: 'link-local',
      },
    ]);
  });

  it("finds this machine's IPv4 loopback address", () => {
    const loopback = listInterfaces().find((a) => a.address === '127.0.0.1');
    expect(loopback).toMatchObject({
      cidr: '127.0.0.1/8',
      class: 'loopback',
      internal: true,
      family: 'IPv4',
    });
  });
});
