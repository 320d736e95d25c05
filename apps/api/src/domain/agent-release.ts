/**
 * @module domain/agent-release — what this server hands out to agents: the compiled executables (built by
 * `npm run build` into apps/agent/dist-bin, or AGENT_BINARIES_DIR), their version, and the release key whose
 * signature over SHA256SUMS installs and updates check. The release key is not one of the server's keys:
 * the server only knows its public half (RELEASE_SIGNING_KEY, else the build's `release-key.pub`).
 */
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentRelease } from '@hostwire/protocol';
import { rawEd25519PublicKey, type Config } from '../config.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** apps/agent/dist-bin, seen from apps/api/{src,dist}/domain. */
const DEFAULT_BINARIES_DIR = path.resolve(here, '../../../agent/dist-bin');
/** The public key file `npm run build` writes beside the executables. */
const BUILT_PUBLIC_KEY = 'release-key.pub';
/** The SPKI DER header of an Ed25519 public key; the raw 32-byte key follows it. */
const SPKI_HEADER = Buffer.from('302a300506032b6570032100', 'hex');

/** The agent release in `dir`: its version and the platforms built, from VERSION and SHA256SUMS. */
function readBuild(dir: string): Pick<AgentRelease, 'version' | 'platforms'> {
  let version: string | null = null;
  let platforms: string[] = [];
  try {
    version = readFileSync(path.join(dir, 'VERSION'), 'utf8').trim() || null;
    platforms = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8')
      .split('\n')
      .map((line) => /hostwire-agent-(linux-(?:x64|arm64))$/.exec(line.trim())?.[1])
      .filter((p): p is string => p !== undefined);
  } catch {
    // Not built: no version, no platforms.
  }
  return { version, platforms };
}

export function createAgentRelease(
  config: Pick<Config, 'agentBinariesDir' | 'publicUrl' | 'releasePublicKey'>,
) {
  const dir = config.agentBinariesDir ?? DEFAULT_BINARIES_DIR;

  /** base64 of the raw Ed25519 release public key, or null when there is none (not built, not configured). */
  function publicKey(): string | null {
    if (config.releasePublicKey) return config.releasePublicKey;
    try {
      const key = createPublicKey(readFileSync(path.join(dir, BUILT_PUBLIC_KEY), 'utf8'));
      return key.asymmetricKeyType === 'ed25519' ? rawEd25519PublicKey(key) : null;
    } catch {
      return null;
    }
  }

  return {
    /** Where `/downloads/…` serves from. */
    dir,
    publicKey,

    /** `GET /api/agent/release`: version, platforms, the URL agents use (PUBLIC_URL) and the release key. */
    describe(): AgentRelease {
      return { ...readBuild(dir), serverUrl: config.publicUrl, releaseKey: publicKey() };
    },

    /**
     * Why installs and updates would refuse the executables served now (no release key, SHA256SUMS or its
     * signature missing or not by the release key), or null when they verify. Said once at start.
     */
    signatureProblem(): string | null {
      const key = publicKey();
      if (!key)
        return `no release key: set RELEASE_SIGNING_KEY or run npm run build (it writes ${BUILT_PUBLIC_KEY})`;
      let sums: Buffer;
      let signature: Buffer;
      try {
        sums = readFileSync(path.join(dir, 'SHA256SUMS'));
        signature = readFileSync(path.join(dir, 'SHA256SUMS.sig'));
      } catch (error) {
        return `${(error as NodeJS.ErrnoException).code ?? 'unreadable'}: ${dir} has no signed SHA256SUMS (build with npm run build and the release key)`;
      }
      const spki = Buffer.concat([SPKI_HEADER, Buffer.from(key, 'base64')]);
      let ok = false;
      try {
        ok = verify(null, sums, createPublicKey({ key: spki, format: 'der', type: 'spki' }), signature);
      } catch {
        // A malformed signature is no signature.
      }
      return ok ? null : `SHA256SUMS.sig in ${dir} is not a signature by the release key ${key}`;
    },
  };
}

export type AgentReleaseService = ReturnType<typeof createAgentRelease>;
