/** @module client-ip — the client's address, behind a configured set of trusted proxies (Express semantics). */
import { BlockList, isIP } from 'node:net';
import type http from 'node:http';

/**
 * Whether the proxy at `address`, `hop` steps from the server (0 = the socket's peer), is trusted to
 * report the address before it. The same function is given to Express (`trust proxy`).
 */
export type TrustProxy = (address: string, hop: number) => boolean;

/** Names Express accepts for address ranges. */
const NAMED_RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

const stripMapped = (address: string) =>
  address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;

/**
 * Parses `TRUST_PROXY`: `false` (default: the socket's peer is the client), a hop count (`1`: one
 * proxy in front), or a comma-separated list of proxy addresses, CIDRs and the names `loopback`,
 * `linklocal`, `uniquelocal`. `true` means one hop: trusting every hop would let anyone pick their
 * address with `X-Forwarded-For`. Throws with a message on a value it cannot read.
 */
export function parseTrustProxy(value: string): { trust: TrustProxy; description: string } {
  const text = value.trim();
  if (text === '' || text === 'false' || text === '0') return { trust: () => false, description: 'no proxy' };
  if (text === 'true') return { trust: (_a, hop) => hop < 1, description: '1 hop' };
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    return { trust: (_a, hop) => hop < hops, description: `${hops} hops` };
  }
  const list = new BlockList();
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .flatMap((entry) => NAMED_RANGES[entry] ?? [entry]);
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address);
    if (family === 0) throw new Error(`"${entry}" is not an IP address, a CIDR or a range name`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else {
      const prefix = Number(bits);
      if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128))
        throw new Error(`"${entry}" has an invalid prefix length`);
      list.addSubnet(address, prefix, type);
    }
  }
  return {
    trust: (address) => {
      const plain = stripMapped(address);
      const family = isIP(plain);
      return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
    },
    description: entries.join(', '),
  };
}

/**
 * The client's address: walking from the socket's peer back through `X-Forwarded-For`, the first
 * address that is not a trusted proxy (the same answer as Express's `req.ip`).
 */
export function resolveClientIp(req: http.IncomingMessage, trust: TrustProxy): string {
  const peer = stripMapped(req.socket.remoteAddress ?? 'unknown');
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .reverse();
  let address = peer;
  for (let hop = 0; hop < forwarded.length; hop++) {
    if (!trust(address, hop)) return address;
    address = stripMapped(forwarded[hop] ?? address);
  }
  return address;
}
