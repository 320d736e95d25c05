/** @module auth/command-signing — the Ed25519 key that signs action commands (separate from the JWT keys). */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readOrCreateSecret } from '../config.js';
import type { ActionCommand } from '@hostwire/protocol';

export interface CommandSigner {
  /** SPKI PEM of the public key, handed to agents at enrollment. */
  publicKeyPem: string;
  sign(command: ActionCommand): { payload: string; signature: string };
}

/** Uses the configured PKCS#8 PEM, or one generated once into DATA_DIR/command-signing-key.pem (0600). */
export function createCommandSigner(dataDir: string, configuredPem: string | undefined): CommandSigner {
  const pem =
    configuredPem ??
    readOrCreateSecret(dataDir, 'command-signing-key.pem', () =>
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim(),
    );
  const privateKey: KeyObject = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error('The command signing key must be an Ed25519 key');
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return {
    publicKeyPem,
    sign(command) {
      const payload = JSON.stringify(command);
      const signature = sign(null, Buffer.from(payload, 'utf8'), privateKey).toString('base64url');
      return { payload, signature };
    },
  };
}
