/**
 * @module test-support/dns-server — a real DNS server on 127.0.0.1 (UDP) whose A records a test changes
 * between queries (DNS rebinding), and a resolver that asks it, for the outbound guard's `resolveHost` seam.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import type { ResolveHost } from '../outbound/client.js';

export interface DnsServer {
  port: number;
  /** name (lower case, no trailing dot) → IPv4 addresses answered for it; absent → NXDOMAIN. */
  records: Map<string, string[]>;
  /** Every A query answered, in order: [name, the addresses given]. */
  answered: [string, string[]][];
  /** A resolver that asks only this server (A and AAAA; this server has no AAAA records). */
  resolveHost: ResolveHost;
  close(): Promise<void>;
}

const TYPE_A = 1;

/** The question's name and type, and where the question ends (RFC 1035 §4.1.2), or undefined. */
function readQuestion(message: Buffer): { name: string; type: number; end: number } | undefined {
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    const length = message[offset];
    if (length === undefined || length > 63) return undefined;
    offset += 1;
    if (length === 0) break;
    labels.push(message.subarray(offset, offset + length).toString('latin1'));
    offset += length;
  }
  if (offset + 4 > message.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: message.readUInt16BE(offset), end: offset + 4 };
}

function answer(
  query: Buffer,
  records: Map<string, string[]>,
  log: [string, string[]][],
): Buffer | undefined {
  const question = query.length >= 12 ? readQuestion(query) : undefined;
  if (!question) return undefined;
  const known = records.get(question.name);
  const addresses = question.type === TYPE_A ? (known ?? []) : [];
  if (question.type === TYPE_A) log.push([question.name, addresses]);
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  // Response, recursion desired and available; NXDOMAIN for unknown names.
  header.writeUInt16BE(0x8180 | (known ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const answers = addresses.map((address) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(1, 4); // class IN
    rr.writeUInt32BE(0, 6); // TTL 0: every lookup asks again
    rr.writeUInt16BE(4, 10);
    address.split('.').forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
    return rr;
  });
  return Buffer.concat([header, query.subarray(12, question.end), ...answers]);
}

export async function startDnsServer(): Promise<DnsServer> {
  const socket = dgram.createSocket('udp4');
  const records = new Map<string, string[]>();
  const answered: [string, string[]][] = [];
  socket.on('message', (message, peer) => {
    const reply = answer(message, records, answered);
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const resolver = new dns.promises.Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const resolveHost: ResolveHost = async (hostname) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
    const found = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
    ];
    if (found.length === 0 && v4.status === 'rejected') throw v4.reason;
    return found;
  };
  return {
    port,
    records,
    answered,
    resolveHost,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
