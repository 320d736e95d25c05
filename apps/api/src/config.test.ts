import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'hostwire-config-'));

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ DATA_DIR: tempDir() });
    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.database.kind).toBe('sqlite');
    expect(config.redisUrl).toBeUndefined();
    expect([...config.allowedOrigins]).toEqual(['http://localhost:3000']);
    expect(config.ws.maxPayloadBytes).toBe(65536);
    expect(config.ws.heartbeatMs).toBe(10000);
    expect(config.secureCookies).toBe(false);
  });

  it('names every invalid variable in one startup error', () => {
    expect(() =>
      loadConfig({ DATA_DIR: tempDir(), PORT: 'eighty', DATABASE_URL: 'mysql://x', REDIS_URL: 'http://r' }),
    ).toThrowError(ConfigError);
    try {
      loadConfig({ DATA_DIR: tempDir(), PORT: 'eighty', DATABASE_URL: 'mysql://x' });
    } catch (error) {
      expect(String(error)).toMatch(/PORT/);
      expect(String(error)).toMatch(/DATABASE_URL: must be a postgres:\/\/ URL/);
    }
  });

  it('reads only the public half of RELEASE_SIGNING_KEY (a private or a public Ed25519 PEM) and refuses other keys', () => {
    const dir = tempDir();
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64');
    writeFileSync(path.join(dir, 'release.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(path.join(dir, 'release.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    writeFileSync(path.join(dir, 'rsa.pem'), rsa.export({ type: 'pkcs8', format: 'pem' }));
    for (const file of ['release.pem', 'release.pub'])
      expect(loadConfig({ DATA_DIR: dir, RELEASE_SIGNING_KEY: path.join(dir, file) }).releasePublicKey).toBe(
        raw,
      );
    expect(loadConfig({ DATA_DIR: dir }).releasePublicKey).toBeUndefined();
    expect(() => loadConfig({ DATA_DIR: dir, RELEASE_SIGNING_KEY: path.join(dir, 'rsa.pem') })).toThrow(
      /RELEASE_SIGNING_KEY: .* holds a rsa key, not an Ed25519 one/,
    );
    expect(() => loadConfig({ DATA_DIR: dir, RELEASE_SIGNING_KEY: path.join(dir, 'missing.pem') })).toThrow(
      /RELEASE_SIGNING_KEY: cannot read an Ed25519 PEM key/,
    );
  });

  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => loadConfig({ DATA_DIR: tempDir(), AGENT_JWT_SECRET: 'short' })).toThrow(
      /AGENT_JWT_SECRET: must be at least 32 bytes/,
    );
  });

  it('generates secrets once into DATA_DIR with mode 0600 and reuses them on restart', () => {
    const dir = tempDir();
    const first = loadConfig({ DATA_DIR: dir });
    const file = path.join(dir, 'session-jwt.secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'agent-jwt.secret')).mode & 0o777).toBe(0o600);
    const second = loadConfig({ DATA_DIR: dir });
    expect(Buffer.from(second.secrets.sessionJwt).toString()).toBe(
      Buffer.from(first.secrets.sessionJwt).toString(),
    );
    expect(Buffer.from(first.secrets.sessionJwt).toString()).not.toBe(
      Buffer.from(first.secrets.agentJwt).toString(),
    );
    expect(readFileSync(file, 'utf8').trim().length).toBeGreaterThanOrEqual(32);
  });

  it('refuses a generated secret file that was truncated', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'agent-jwt.secret'), 'tiny\n', { mode: 0o600 });
    expect(() => loadConfig({ DATA_DIR: dir })).toThrow(/shorter than 32 bytes/);
  });

  it('marks cookies Secure and derives origins from an https PUBLIC_URL', () => {
    const config = loadConfig({ DATA_DIR: tempDir(), PUBLIC_URL: 'https://fleet.example.com/' });
    expect(config.secureCookies).toBe(true);
    expect([...config.allowedOrigins]).toEqual(['https://fleet.example.com']);
  });

  it('opens nothing beyond public addresses by default and names a bad OUTBOUND_ALLOW entry', () => {
    const config = loadConfig({ DATA_DIR: tempDir() });
    expect(config.outboundAllow.empty).toBe(true);
    expect(config.mailPerOrgPerHour).toBe(100);
    expect(() => loadConfig({ DATA_DIR: tempDir(), OUTBOUND_ALLOW: '10.0.0.0/8, 10.0.0.0/40' })).toThrow(
      /OUTBOUND_ALLOW: "10\.0\.0\.0\/40" is not a CIDR/,
    );
  });

  it('rejects an ALLOWED_ORIGINS entry that is not an origin', () => {
    expect(() => loadConfig({ DATA_DIR: tempDir(), ALLOWED_ORIGINS: 'https://a.example.com/path' })).toThrow(
      /ALLOWED_ORIGINS/,
    );
  });
});
