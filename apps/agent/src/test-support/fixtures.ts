/** @module test-support/fixtures — temp dirs, an Ed25519 key pair, signed commands and a test config. */
import { generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ActionCommand } from '@hostwire/protocol';
import type { AgentConfig, AgentConfigInput } from '../config/schema.js';
import { parseAgentConfig } from '../config/load.js';

/** A fresh temporary directory and a function removing it. */
export async function createTempDir(
  prefix = 'hostwire-agent-',
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface CommandKeys {
  publicKey: KeyObject;
  publicKeyPem: string;
  privateKey: KeyObject;
}

/** A new Ed25519 key pair like the API's command-signing key. */
export function createCommandKeys(): CommandKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKey,
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A `command` frame signed the way the API signs it. */
export function signCommand(
  command: ActionCommand,
  privateKey: KeyObject,
): { type: 'command'; payload: string; signature: string } {
  const payload = JSON.stringify(command);
  const signature = sign(null, Buffer.from(payload, 'utf8'), privateKey).toString('base64url');
  return { type: 'command', payload, signature };
}

let counter = 0;
/** A unique, protocol-valid id. */
export function newId(prefix = 'id'): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}_${counter}`;
}

/** A run command for `hostId`, valid for a minute unless overridden. */
export function runCommand(
  hostId: string,
  action: string,
  params: Record<string, string | number | boolean>,
  overrides: Partial<ActionCommand> = {},
): ActionCommand {
  const now = Date.now();
  return {
    kind: 'run',
    actionId: newId('act'),
    hostId,
    action,
    params,
    issuedAt: now,
    expiresAt: now + 60_000,
    ...overrides,
  };
}

export const TEST_HOST_ID = 'host_test_1';

/** A valid config pointing at `server`, with `overrides` merged on top. */
export function createTestConfig(
  server: string,
  publicKeyPem: string,
  overrides: Partial<AgentConfigInput> = {},
): AgentConfig {
  return parseAgentConfig({
    server,
    hostId: TEST_HOST_ID,
    organizationId: 'org_test_1',
    agentToken: 'test-agent-token',
    commandPublicKey: publicKeyPem,
    connection: { backoffInitialMs: 50, backoffMaxMs: 200, welcomeTimeoutMs: 2000 },
    ...overrides,
  });
}

export { waitFor } from '@hostwire/protocol/testing';
