import { describe, expect, it } from 'vitest';
import { installCommands } from './install-command.js';

describe('installCommands', () => {
  it('gives a root line without sudo and a sudo line, both naming the server and the token', () => {
    const lines = installCommands({ serverUrl: 'https://hw.example.com', releaseKey: 'K=' }, 'hwe_t');
    expect(lines.root).toBe(
      'curl -fsSL https://hw.example.com/install.sh | sh -s -- --server https://hw.example.com --token hwe_t',
    );
    expect(lines.sudo).toBe(
      'curl -fsSL https://hw.example.com/install.sh | sudo sh -s -- --server https://hw.example.com --token hwe_t',
    );
    expect(lines.enroll).toBe(
      'hostwire-agent enroll --server https://hw.example.com --token hwe_t --release-key K=',
    );
    expect(lines.insecureHttp).toBe(false);
  });

  it('adds --insecure-http only for a plain-http server that is not this machine', () => {
    expect(installCommands({ serverUrl: 'http://localhost:3000', releaseKey: null }, 't').insecureHttp).toBe(
      false,
    );
    expect(installCommands({ serverUrl: 'http://127.0.0.1:3000', releaseKey: null }, 't').insecureHttp).toBe(
      false,
    );
    const lan = installCommands({ serverUrl: 'http://hostwire.lan', releaseKey: null }, 't');
    expect(lan.insecureHttp).toBe(true);
    expect(lan.root).toMatch(/--token t --insecure-http$/);
    expect(lan.enroll).toBe('hostwire-agent enroll --server http://hostwire.lan --token t --insecure-http');
  });
});
