// OIDC settings: all three or none, https issuers (plain http only on loopback), the callback under PUBLIC_URL.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'hostwire-config-'));
const OIDC = {
  OIDC_ISSUER: 'https://id.example.com/realms/ops',
  OIDC_CLIENT_ID: 'hostwire',
  OIDC_CLIENT_SECRET: 'secret',
};

describe('single sign-on settings', () => {
  it('is off without OIDC variables', () => {
    expect(loadConfig({ DATA_DIR: tempDir() }).oidc).toBeUndefined();
  });

  it('derives the redirect URI from PUBLIC_URL and names the button', () => {
    const config = loadConfig({
      DATA_DIR: tempDir(),
      PUBLIC_URL: 'https://fleet.example.com/',
      ...OIDC,
      OIDC_NAME: 'Keycloak',
    });
    expect(config.oidc).toEqual({
      issuer: OIDC.OIDC_ISSUER,
      clientId: 'hostwire',
      clientSecret: 'secret',
      name: 'Keycloak',
      redirectUri: 'https://fleet.example.com/api/auth/oidc/callback',
      allowHttp: false,
    });
    expect(loadConfig({ DATA_DIR: tempDir(), ...OIDC }).oidc?.name).toBe('single sign-on');
  });

  it('refuses a partial setting, naming the three variables', () => {
    expect(() => loadConfig({ DATA_DIR: tempDir(), OIDC_ISSUER: OIDC.OIDC_ISSUER })).toThrowError(
      /OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET/,
    );
    expect(() => loadConfig({ DATA_DIR: tempDir(), ...OIDC, OIDC_CLIENT_SECRET: undefined })).toThrowError(
      ConfigError,
    );
  });

  it('allows a plain-http issuer only on loopback', () => {
    expect(() =>
      loadConfig({ DATA_DIR: tempDir(), ...OIDC, OIDC_ISSUER: 'http://id.example.com' }),
    ).toThrowError(/must be an https:\/\/ URL/);
    expect(() =>
      loadConfig({ DATA_DIR: tempDir(), ...OIDC, OIDC_ISSUER: 'ftp://id.example.com' }),
    ).toThrowError(/OIDC_ISSUER/);
    const local = loadConfig({ DATA_DIR: tempDir(), ...OIDC, OIDC_ISSUER: 'http://127.0.0.1:9000' });
    expect(local.oidc?.allowHttp).toBe(true);
  });
});
