// The network policy: what a sandbox may reach besides its own loopback.
//
//   none                        the default: loopback only
//   allow=RULE,RULE…            these destinations through the host's network
//     RULE = ADDR[/BITS]:PORTS  ADDR dotted IPv4 or [IPv6]; PORTS N, N-M or *
//   publish HOSTPORT:GUESTPORT  a host client reaching a sandbox server
//   (or HOSTADDR:HOSTPORT:GUESTPORT; the host side listens on 127.0.0.1 by default)
//
// A rule is matched against the address the guest named, in every form:
// an IPv4-mapped IPv6 address is its IPv4 address. Broadcast and multicast
// never leave the sandbox; link-local and unspecified addresses only when a
// rule names them with a prefix inside their range (a 0.0.0.0/0 rule does
// not open 169.254.169.254). Loopback addresses are the sandbox's own: a
// rule naming one (a resolver on 127.0.0.53) forwards that port to the
// host's loopback only when no sandbox socket has it.
import { Ip } from './address.js';

export interface AllowRule {
  readonly net: Ip;
  /** Prefix length over the 128 bits of the (mapped) address. */
  readonly bits: number;
  readonly low: number;
  readonly high: number;
}

export interface Publish {
  readonly hostAddr: string;
  readonly hostPort: number;
  readonly guestPort: number;
}

export interface NetPolicy {
  readonly allow: readonly AllowRule[];
  readonly publish: readonly Publish[];
}

export const NET_NONE: NetPolicy = { allow: [], publish: [] };

/** Thrown for a --net or --publish value that does not parse (the CLI reports it as a usage error). */
export class NetPolicyError extends Error {
  override name = 'NetPolicyError';
}

function port(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new NetPolicyError(`${what}: bad port '${text}'`);
  return Number(text);
}

function parseRule(text: string): AllowRule {
  const m = /^(?:\[([^\]]+)\]|([^:/]+))(?:\/(\d{1,3}))?:(\*|\d+(?:-\d+)?)$/.exec(text);
  if (!m) throw new NetPolicyError(`--net allow: '${text}' is not ADDR[/BITS]:PORTS (IPv6 in brackets)`);
  const v6 = m[1] !== undefined;
  const net = Ip.parse(m[1] ?? m[2]!);
  if (net === null || net.isV4 === v6)
    throw new NetPolicyError(`--net allow: '${m[1] ?? m[2]}' is not an IP${v6 ? 'v6' : 'v4'} address (host names are not resolved)`);
  const max = v6 ? 128 : 32;
  const bits = m[3] === undefined ? max : Number(m[3]);
  if (bits > max) throw new NetPolicyError(`--net allow: prefix /${bits} is longer than ${max}`);
  let low = 1;
  let high = 65535;
  if (m[4] !== '*') {
    const [a, b] = m[4]!.split('-');
    low = port(a!, '--net allow');
    high = b === undefined ? low : port(b, '--net allow');
    if (low === 0 || high < low) throw new NetPolicyError(`--net allow: bad port range '${m[4]}'`);
  }
  return { net, bits: v6 ? bits : 96 + bits, low, high };
}

/** Parses --net: 'none', or 'allow=RULE,…'. */
export function parseNet(text: string): readonly AllowRule[] {
  if (text === 'none') return [];
  if (!text.startsWith('allow=')) throw new NetPolicyError(`--net: expected 'none' or 'allow=ADDR:PORT,…', got '${text}'`);
  const rules = text.slice('allow='.length).split(',');
  if (rules.some((r) => r === '')) throw new NetPolicyError('--net allow: an empty rule');
  return rules.map(parseRule);
}

/** Parses one --publish: HOSTPORT:GUESTPORT or HOSTADDR:HOSTPORT:GUESTPORT. */
export function parsePublish(text: string): Publish {
  const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[^\]]+\]):)?(\d+):(\d+)$/.exec(text);
  if (!m) throw new NetPolicyError(`--publish: '${text}' is not [HOSTADDR:]HOSTPORT:GUESTPORT`);
  const hostAddr = m[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1';
  if (Ip.parse(hostAddr) === null) throw new NetPolicyError(`--publish: '${hostAddr}' is not an IP address`);
  const guestPort = port(m[3]!, '--publish');
  if (guestPort === 0) throw new NetPolicyError('--publish: the guest port cannot be 0');
  return { hostAddr, hostPort: port(m[2]!, '--publish'), guestPort };
}

/** The policy of `net` (default 'none') and `publish` (default none). */
export function netPolicy(net = 'none', publish: readonly string[] = []): NetPolicy {
  return { allow: parseNet(net), publish: publish.map(parsePublish) };
}

/** Whether `ip`:`port` may be reached through the host's network. */
export function allows(policy: NetPolicy, ip: Ip, port: number): boolean {
  if (ip.isBroadcast || ip.isMulticast || port === 0) return false;
  return policy.allow.some((r) => {
    if (port < r.low || port > r.high || !ip.inPrefix(r.net, r.bits)) return false;
    // A wide rule does not open link-local or unspecified addresses: the rule's own network must be one.
    if (ip.isLinkLocal && !r.net.isLinkLocal) return false;
    if (ip.isUnspecified && !r.net.isUnspecified) return false;
    return true;
  });
}
