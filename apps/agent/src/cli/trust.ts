/**
 * @module cli/trust — what `enroll` and `update` trust: a server over https (or on this machine) unless the
 * operator chose `--insecure-http`, and executables whose SHA256SUMS is signed by the pinned release key
 * (base64 of a raw Ed25519 public key; docs/security.md, "Agent install and update").
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { AgentExitError } from '../errors.js';

/** The SPKI DER header of an Ed25519 public key; the raw 32-byte key follows it. */
const SPKI_HEADER = Buffer.from('302a300506032b6570032100', 'hex');
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

/** True for a URL on this machine: localhost, 127.0.0.0/8 or [::1]. */
export function isLoopbackUrl(server: string): boolean {
  const { hostname } = new URL(server);
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** https://, or http:// to this machine: what a man in the middle cannot read or change. */
export function isSecureTransport(server: string): boolean {
  return server.startsWith('https://') || isLoopbackUrl(server);
}

/** Refuses a plain-http server that is not this machine unless the operator accepted it (--insecure-http). */
export function requireSecureServer(server: string, insecureHttp: boolean): void {
  if (isSecureTransport(server) || insecureHttp) return;
  throw new AgentExitError(
    'INVALID_URL',
    `${server} is plain http: the agent's credentials and executables would travel in clear, and anyone on the way could change them. Use the server's https:// URL, or pass --insecure-http (at enroll) to accept that.`,
  );
}

/** The release key as a KeyObject; USAGE when `value` is not a base64 Ed25519 public key. */
export function parseReleaseKey(value: string): KeyObject {
  if (BASE64_KEY.test(value)) {
    try {
      const spki = Buffer.concat([SPKI_HEADER, Buffer.from(value, 'base64')]);
      return createPublicKey({ key: spki, format: 'der', type: 'spki' });
    } catch {
      // fall through to the error below
    }
  }
  throw new AgentExitError(
    'USAGE',
    `"${value}" is not a release key (the base64 of an Ed25519 public key, 44 characters, as GET /api/agent/release shows it)`,
  );
}

/** A release key from a server's answer, when it is one; anything else counts as none. */
export function releaseKeyOrUndefined(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    parseReleaseKey(value);
    return value;
  } catch {
    return undefined;
  }
}

/** True when `signature` (raw 64 bytes) is the release key's Ed25519 signature of `sums`. */
export function verifyReleaseSignature(sums: Buffer, signature: Buffer, releaseKey: string): boolean {
  try {
    return verify(null, sums, parseReleaseKey(releaseKey), signature);
  } catch {
    return false;
  }
}
