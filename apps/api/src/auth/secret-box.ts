/**
 * @module auth/secret-box — keys derived from the server's session secret (HKDF-SHA256, one per purpose)
 * and AES-256-GCM sealing of small secrets at rest (TOTP secrets). A database dump alone does not reveal
 * them; the key lives outside the database, in SESSION_JWT_SECRET (or DATA_DIR/session-jwt.secret).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/** A 32-byte key for `purpose`, derived from the server secret; different purposes never share a key. */
export function deriveKey(serverSecret: Uint8Array, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, 'hostwire', `hostwire:${purpose}`, 32));
}

export interface SecretBox {
  seal(plain: string, context: string): string;
  /** The plain text, or undefined when the value was sealed with another key or tampered with. */
  open(sealed: string, context: string): string | undefined;
}

/**
 * Seals with AES-256-GCM; `context` (e.g. the user id) is bound as associated data, so a sealed value
 * copied onto another row does not open.
 */
export function createSecretBox(key: Uint8Array): SecretBox {
  return {
    seal(plain, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [VERSION, iv, data, cipher.getAuthTag()]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed, context) {
      const [version, iv, data, tag] = sealed.split('.');
      if (version !== VERSION || !iv || !data || !tag) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        return undefined;
      }
    },
  };
}
