import { describe, expect, it } from 'vitest';
import { Ip } from './address.js';
import { allows, NetPolicyError, netPolicy, parsePublish } from './policy.js';

const ip = (s: string): Ip => Ip.parse(s)!;

describe('network policy', () => {
  it('parses none, allow rules with prefixes and port ranges, and publish', () => {
    expect(netPolicy()).toEqual({ allow: [], publish: [] });
    const p = netPolicy('allow=10.0.0.0/8:443,[2001:db8::]/32:1000-2000,127.0.0.53:*', ['8080:80', '0.0.0.0:9000:90']);
    expect(p.allow.map((r) => [r.net.toString(), r.bits, r.low, r.high])).toEqual([
      ['10.0.0.0', 104, 443, 443],
      ['2001:db8:0:0:0:0:0:0', 32, 1000, 2000],
      ['127.0.0.53', 128, 1, 65535],
    ]);
    expect(p.publish).toEqual([
      { hostAddr: '127.0.0.1', hostPort: 8080, guestPort: 80 },
      { hostAddr: '0.0.0.0', hostPort: 9000, guestPort: 90 },
    ]);
  });

  it.each([
    'all',
    'allow=',
    'allow=example.com:80',
    'allow=10.0.0.1',
    'allow=10.0.0.1/33:1',
    'allow=1.2.3.4:70000',
    'allow=1.2.3.4:9-3',
    'allow=::1:53',
  ])('refuses --net %s', (text) => expect(() => netPolicy(text)).toThrow(NetPolicyError));

  it('refuses a publish without both ports', () => {
    expect(() => parsePublish('80')).toThrow(NetPolicyError);
    expect(() => parsePublish('8080:0')).toThrow(NetPolicyError);
  });

  it('matches every form of an address: IPv4-mapped IPv6 is its IPv4 address', () => {
    const p = netPolicy('allow=192.0.2.0/24:80');
    expect(allows(p, ip('192.0.2.7'), 80)).toBe(true);
    expect(allows(p, ip('::ffff:192.0.2.7'), 80)).toBe(true);
    expect(allows(p, ip('192.0.3.7'), 80)).toBe(false);
    expect(allows(p, ip('192.0.2.7'), 81)).toBe(false);
  });

  it('never opens broadcast or multicast, and link-local or unspecified only by a rule naming them', () => {
    const all = netPolicy('allow=0.0.0.0/0:*,[::]/0:*');
    expect(allows(all, ip('93.184.215.14'), 443)).toBe(true);
    for (const a of ['255.255.255.255', '224.0.0.1', 'ff02::1', '169.254.169.254', '::ffff:169.254.169.254', 'fe80::1'])
      expect([a, allows(all, ip(a), 80)]).toEqual([a, false]);
    expect(allows(netPolicy('allow=169.254.169.254:80'), ip('169.254.169.254'), 80)).toBe(true);
  });
});
