// The outbound guard's address table and OUTBOUND_ALLOW, judged address by address (no sockets: the
// end-to-end cases, DNS included, are in http/alerts.test.ts "outbound guard").
import { describe, expect, it } from 'vitest';
import { addressRefusal, embeddedIpv4, hostOpened, parseOutboundAllow, refusedReason } from './policy.js';

const NONE = parseOutboundAllow(undefined);

describe('refusedReason', () => {
  it('refuses every special-purpose IPv4 range and allows public addresses', () => {
    const refused = [
      '0.0.0.0',
      '0.1.2.3',
      '10.1.2.3',
      '100.64.0.1',
      '100.127.255.254',
      '127.0.0.1',
      '127.255.255.255',
      '169.254.169.254',
      '172.16.0.1',
      '172.31.255.255',
      '192.0.0.170',
      '192.0.2.1',
      '192.168.1.1',
      '198.18.0.1',
      '198.51.100.7',
      '203.0.113.9',
      '224.0.0.1',
      '239.255.255.250',
      '240.0.0.1',
      '255.255.255.255',
    ];
    for (const address of refused) expect(refusedReason(address), address).toBeDefined();
    for (const address of [
      '1.1.1.1',
      '8.8.8.8',
      '93.184.215.14',
      '100.63.255.255',
      '172.32.0.1',
      '100.128.0.1',
    ])
      expect(refusedReason(address), address).toBeUndefined();
    expect(refusedReason('169.254.169.254')).toMatch(/metadata/);
  });

  it('refuses IPv6 loopback, unspecified, ULA, link-local, multicast and metadata, and allows public ones', () => {
    const refused = [
      '::',
      '::1',
      'fc00::1',
      'fd00:ec2::254',
      'fe80::1',
      'fe80::1%eth0',
      'ff02::1',
      'fec0::1',
      '2001:db8::1',
      '100::1',
      '2001::1',
    ];
    for (const address of refused) expect(refusedReason(address), address).toBeDefined();
    for (const address of ['2606:4700:4700::1111', '2a00:1450:4001:80b::200e'])
      expect(refusedReason(address), address).toBeUndefined();
  });

  it('judges IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms by the IPv4 address they carry', () => {
    for (const address of [
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
      '::127.0.0.1',
      '::7f00:1',
      '64:ff9b::7f00:1',
      '64:ff9b::10.0.0.1',
      '64:ff9b:1::a00:1',
      '2002:7f00:1::1',
      '2002:c0a8:101::',
    ])
      expect(refusedReason(address), address).toBeDefined();
    expect(embeddedIpv4('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(embeddedIpv4('64:ff9b::808:808')).toBe('8.8.8.8');
    expect(embeddedIpv4('2002:808:808::')).toBe('8.8.8.8');
    for (const address of ['::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])
      expect(refusedReason(address), address).toBeUndefined();
  });
});

describe('OUTBOUND_ALLOW', () => {
  it('opens exactly the CIDRs, address:port pairs and host names it names', () => {
    const allow = parseOutboundAllow(
      '10.1.0.0/16, 127.0.0.1:8080, [fd00::5]:443, hooks.lan, ntfy.lan:8443, 192.168.7.7, fd00::9',
    );
    expect(addressRefusal(allow, '10.1.2.3', 80)).toBeUndefined();
    expect(addressRefusal(allow, '::ffff:10.1.2.3', 80)).toBeUndefined();
    expect(addressRefusal(allow, '10.2.0.1', 80)).toBeDefined();
    expect(addressRefusal(allow, '127.0.0.1', 8080)).toBeUndefined();
    expect(addressRefusal(allow, '127.0.0.1', 8081)).toBeDefined();
    expect(addressRefusal(allow, 'fd00::5', 443)).toBeUndefined();
    expect(addressRefusal(allow, 'fd00:0:0::5', 443)).toBeUndefined();
    expect(addressRefusal(allow, 'fd00::5', 80)).toBeDefined();
    expect(addressRefusal(allow, '192.168.7.7', 1)).toBeUndefined();
    expect(addressRefusal(allow, 'fd00::9', 1)).toBeUndefined();
    expect(addressRefusal(allow, '8.8.8.8', 1)).toBeUndefined();
    expect(hostOpened(allow, new URL('http://HOOKS.lan:9000/x'))).toBe(true);
    expect(hostOpened(allow, new URL('https://ntfy.lan:8443/t'))).toBe(true);
    expect(hostOpened(allow, new URL('https://ntfy.lan/t'))).toBe(false);
    expect(hostOpened(allow, new URL('https://sub.hooks.lan/t'))).toBe(false);
    expect(hostOpened(NONE, new URL('http://localhost/'))).toBe(false);
  });

  it('refuses entries it cannot read, naming them', () => {
    for (const bad of ['10.0.0.0/33', 'not a host', 'host:99999', '10.0.0.0/8/1', 'fd00::/129', 'http://x'])
      expect(() => parseOutboundAllow(bad), bad).toThrow(bad.split(',')[0] ?? bad);
  });
});
