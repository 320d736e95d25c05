// Tests of the config schema, the JSONC loader and the example file shipped with the agent.
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ActionDescriptor } from '@hostwire/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeActions } from '../actions/action-service.js';
import { createCommandKeys, createTempDir } from '../test-support/fixtures.js';
import { DEFAULT_ACTIONS, DEFAULT_LOG_SOURCES, DEFAULT_METRICS } from './defaults.js';
import { parseJsonc, stripJsonComments } from './jsonc.js';
import { loadAgentConfig, parseAgentConfig, resolveStateDir, writeAgentConfig } from './load.js';

const EXAMPLE = new URL('../../examples/agent.example.jsonc', import.meta.url);
const keys = createCommandKeys();
const base = {
  server: 'https://hostwire.example.com',
  hostId: 'host_1',
  agentToken: 't',
  commandPublicKey: keys.publicKeyPem,
};

describe('config', () => {
  let tmp: Awaited<ReturnType<typeof createTempDir>>;
  beforeEach(async () => {
    tmp = await createTempDir();
  });
  afterEach(async () => {
    await tmp.remove();
  });

  it('keeps // inside strings and removes comments and trailing commas', () => {
    const text = '{ "url": "https://a/b", // comment\n /* block */ "list": [1, 2,], }';
    expect(parseJsonc(text)).toEqual({ url: 'https://a/b', list: [1, 2] });
    expect(stripJsonComments('"a\\"//b"')).toBe('"a\\"//b"');
  });

  it('ships an example whose metrics, logs and actions equal the defaults enroll writes', async () => {
    const example = parseJsonc(await readFile(EXAMPLE, 'utf8')) as Record<string, unknown>;
    expect(example.metrics).toEqual(DEFAULT_METRICS);
    expect(example.logs).toEqual({ sources: DEFAULT_LOG_SOURCES });
    expect(example.actions).toEqual(DEFAULT_ACTIONS);
    const config = parseAgentConfig({ ...example, commandPublicKey: keys.publicKeyPem });
    expect(config.actions.map((a) => a.name)).toEqual([
      'restart-service',
      'disk-usage',
      'top-processes',
      'uptime',
      'journal-tail',
    ]);
    for (const descriptor of describeActions(config.actions)) {
      expect(ActionDescriptor.safeParse(descriptor).success).toBe(true);
      expect(descriptor).not.toHaveProperty('argv');
    }
  });

  it('offers no actions and no log sources when the sections are missing (deny by default)', () => {
    const config = parseAgentConfig(base);
    expect(config.actions).toEqual([]);
    expect(config.logs.sources).toEqual([]);
    expect(config.metrics.intervalMs).toBe(10_000);
  });

  it('names the zod issue path of an invalid field', async () => {
    const file = path.join(tmp.dir, 'agent.json');
    await writeFile(
      file,
      JSON.stringify({
        ...base,
        actions: [{ name: 'x', argv: ['{{prog}}'], params: { prog: { type: 'string', enum: ['a'] } } }],
      }),
    );
    await expect(loadAgentConfig(file)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('actions.0.argv.0') as string,
    });
    await writeFile(
      file,
      JSON.stringify({ ...base, actions: [{ name: 'x', argv: ['echo', '{{missing}}'] }] }),
    );
    await expect(loadAgentConfig(file)).rejects.toThrow(
      /actions\.0\.argv\.1: placeholder \{\{missing\}\} names no parameter/,
    );
    await writeFile(file, JSON.stringify({ ...base, server: 'ftp://x' }));
    await expect(loadAgentConfig(file)).rejects.toThrow(/server:/);
    await writeFile(file, '{ "server": ');
    await expect(loadAgentConfig(file)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('not valid JSON') as string,
    });
  });

  it('writes the config with mode 0600 in a 0700 directory and resolves the state dir next to it', async () => {
    const file = path.join(tmp.dir, 'etc', 'hostwire', 'agent.json');
    await writeAgentConfig(file, base);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(resolveStateDir({}, file)).toBe(path.join(tmp.dir, 'etc', 'hostwire', 'state'));
    expect(resolveStateDir({ stateDir: '/var/lib/hw' }, file)).toBe('/var/lib/hw');
    expect((await loadAgentConfig(file)).hostId).toBe('host_1');
  });
});
