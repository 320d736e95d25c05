/**
 * @module outbound/policy — which addresses the server's own outbound requests (notification channels) may
 * connect to: every public address, none of the special-purpose ranges below (loopback, private, link-local,
 * CGNAT, metadata, multicast, unspecified, broadcast, documentation, reserved, and IPv6 forms that embed such
 * an IPv4 address), unless `OUTBOUND_ALLOW` names them. Judged on the address connected to, never on a name.
 */
import { BlockList, isIP } from 'node:net';

/**
 * Refused by default, with the reason (IANA IPv4/IPv6 special-purpose address registries, RFC 6890). IPv6
 * addresses that embed an IPv4 address (IPv4-mapped `::ffff:0:0/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`)
 * are judged by that IPv4 address, so `::ffff:127.0.0.1` and `64:ff9b::a00:1` are refused like 127.0.0.1
 * and 10.0.0.1.
 */
export const REFUSED_RANGES = [
  ['0.0.0.0/8', 'this network (includes the unspecified 0.0.0.0)'],
  ['10.0.0.0/8', 'private (RFC 1918)'],
  ['100.64.0.0/10', 'carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (includes the cloud metadata address 169.254.169.254)'],
  ['172.16.0.0/12', 'private (RFC 1918)'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private (RFC 1918)'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved (includes the broadcast address 255.255.255.255)'],
  ['::/96', 'unspecified, loopback and IPv4-compatible IPv6'],
  ['64:ff9b:1::/48', 'local-use NAT64 (RFC 8215)'],
  ['100::/64', 'discard-only'],
  ['2001::/23', 'IETF protocol assignments (includes Teredo)'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'unique local (ULA; includes the cloud metadata address fd00:ec2::254)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
] as const;

type Family = 'ipv4' | 'ipv6';

interface Cidr {
  network: string;
  prefix: number;
  family: Family;
}

function parseCidr(text: string): Cidr | undefined {
  const [network = '', prefixText, extra] = text.split('/');
  if (extra !== undefined) return undefined;
  const kind = isIP(network);
  if (kind === 0) return undefined;
  const family: Family = kind === 4 ? 'ipv4' : 'ipv6';
  const max = kind === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { network, prefix, family };
}

const REFUSED = REFUSED_RANGES.map(([range, reason]) => {
  const cidr = parseCidr(range);
  if (!cidr) throw new Error(`bad range ${range}`);
  const list = new BlockList();
  list.addSubnet(cidr.network, cidr.prefix, cidr.family);
  return { range, reason, list, family: cidr.family };
});

/** The eight 16-bit groups of an IPv6 address (also with an embedded dotted IPv4 tail), or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const groups =
    tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 ? groups : undefined;
}

const dottedQuad = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/** The IPv4 address an IPv6 address stands for (IPv4-mapped, NAT64 well-known prefix, 6to4), if any. */
export function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (!g) return undefined;
  const at = (i: number) => g[i] ?? 0;
  const zeros = (from: number, to: number) => g.slice(from, to).every((group) => group === 0);
  if (zeros(0, 5) && at(5) === 0xffff) return dottedQuad(at(6), at(7));
  if (at(0) === 0x64 && at(1) === 0xff9b && zeros(2, 6)) return dottedQuad(at(6), at(7));
  if (at(0) === 0x2002) return dottedQuad(at(1), at(2));
  return undefined;
}

/** Why an address is refused by default (a REFUSED_RANGES reason), or undefined for a public address. */
export function refusedReason(address: string): string | undefined {
  const bare = address.split('%')[0] ?? '';
  const kind = isIP(bare);
  if (kind === 0) return 'not an IP address';
  if (kind === 6) {
    const v4 = embeddedIpv4(bare);
    if (v4 !== undefined) return refusedReason(v4);
  }
  const family: Family = kind === 4 ? 'ipv4' : 'ipv6';
  return REFUSED.find((r) => r.family === family && r.list.check(bare, family))?.reason;
}

/** `OUTBOUND_ALLOW`, parsed: CIDRs (a bare address is its /32 or /128), address:port pairs, names[:port]. */
export interface OutboundAllow {
  readonly cidrs: BlockList;
  readonly addressPorts: ReadonlySet<string>;
  /** `name` (any port) or `name:port`, the name as the URL parser writes it (lower case, IPv6 in brackets). */
  readonly hosts: ReadonlySet<string>;
  readonly empty: boolean;
}

const canonicalAddress = (address: string) =>
  new URL(`http://${isIP(address) === 6 ? `[${address}]` : address}`).hostname;

/** Parses `OUTBOUND_ALLOW`; throws an Error naming the first entry it cannot read. */
export function parseOutboundAllow(text: string | undefined): OutboundAllow {
  const cidrs = new BlockList();
  const addressPorts = new Set<string>();
  const hosts = new Set<string>();
  const entries = (text ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const bad = new Error(
      `"${entry}" is not a CIDR (10.0.0.0/8, fd00::/8) or a host[:port] (hooks.lan:8080, [fd00::1]:443)`,
    );
    if (entry.includes('/') || isIP(entry) !== 0) {
      const cidr = parseCidr(entry);
      if (!cidr) throw bad;
      cidrs.addSubnet(cidr.network, cidr.prefix, cidr.family);
      continue;
    }
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/.exec(entry);
    const port = match?.[2] === undefined ? undefined : Number(match[2]);
    if (!match?.[1] || (port !== undefined && (port < 1 || port > 65535))) throw bad;
    let hostname: string;
    try {
      hostname = new URL(`http://${match[1]}`).hostname;
    } catch {
      throw bad;
    }
    const address = hostname.replace(/^\[|\]$/g, '');
    if (isIP(address) !== 0) {
      if (port === undefined) cidrs.addAddress(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
      else addressPorts.add(`${canonicalAddress(address)}:${port}`);
    } else hosts.add(port === undefined ? hostname : `${hostname}:${port}`);
  }
  return { cidrs, addressPorts, hosts, empty: entries.length === 0 };
}

/** The port a URL connects to (its own, else 80 or 443). */
export function portOf(url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** Whether OUTBOUND_ALLOW names this URL's host (and port): then any address it resolves to is allowed. */
export function hostOpened(allow: OutboundAllow, url: URL): boolean {
  return allow.hosts.has(url.hostname) || allow.hosts.has(`${url.hostname}:${portOf(url)}`);
}

/**
 * Why connecting to `address` on `port` is refused, or undefined when it is allowed: a public address, or one
 * OUTBOUND_ALLOW opens (its CIDRs, or this address:port).
 */
export function addressRefusal(allow: OutboundAllow, address: string, port: number): string | undefined {
  const bare = address.split('%')[0] ?? '';
  const kind = isIP(bare);
  if (kind === 0) return 'not an IP address';
  const family: Family = kind === 4 ? 'ipv4' : 'ipv6';
  const v4 = kind === 6 ? embeddedIpv4(bare) : undefined;
  if (allow.cidrs.check(bare, family) || (v4 !== undefined && allow.cidrs.check(v4, 'ipv4')))
    return undefined;
  if (allow.addressPorts.has(`${canonicalAddress(bare)}:${port}`)) return undefined;
  if (v4 !== undefined && allow.addressPorts.has(`${v4}:${port}`)) return undefined;
  return refusedReason(bare);
}

/** ALERT_ALLOWED_HOSTS (a restriction on names, kept): true when the URL's host is on the list, or no list. */
export function hostAllowed(allowed: readonly string[] | undefined, url: string): boolean {
  if (!allowed) return true;
  let hostname: string;
  try {
    hostname = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  return allowed.some((entry) => {
    const pattern = entry.replace(/^\[|\]$/g, '');
    return pattern.startsWith('*.') ? hostname.endsWith(pattern.slice(1)) : hostname === pattern;
  });
}
