// Tests of the action runner: signed-command checks, the allow-list, parameter refusals, timeouts,
// cancel and output caps, with real processes and a real on-disk ledger.
import { readdirSync, readFileSync } from 'node:fs';
import { AgentToServer } from '@hostwire/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionConfig } from '../config/schema.js';
import type { LinkSession } from '../connection/agent-link.js';
import { silentLogger } from '../log.js';
import { CommandLedger } from '../outbox/command-ledger.js';
import {
  createCommandKeys,
  createTempDir,
  runCommand,
  signCommand,
  TEST_HOST_ID,
  waitFor,
} from '../test-support/fixtures.js';
import { ActionService } from './action-service.js';
import { FrameDelivery, resultRequestId } from './frame-delivery.js';

type Result = Extract<AgentToServer, { type: 'action.result' }>;

const keys = createCommandKeys();
const otherKeys = createCommandKeys();

const ACTIONS = [
  {
    name: 'restart-service',
    argv: ['echo', 'restart', '{{unit}}'],
    params: { unit: { type: 'string', enum: ['nginx', 'postgresql'] } },
    dangerous: true,
  },
  {
    name: 'greet',
    argv: ['echo', 'hello={{name}}'],
    params: { name: { type: 'string', pattern: '[A-Za-z0-9._/-]{1,64}' } },
  },
  { name: 'count', argv: ['seq', '{{n}}'], params: { n: { type: 'integer', min: 1, max: 100000 } } },
  { name: 'sleepy', argv: ['sh', '-c', 'sleep 100 & sleep 100'], timeoutMs: 500 },
  { name: 'slow', argv: ['sleep', '30'], timeoutMs: 60_000 },
  { name: 'chatty', argv: ['seq', '1', '100000'], outputCapBytes: 1000 },
].map((a) => ActionConfig.parse(a));

/** The process group id of `pid` (field 5 of /proc/<pid>/stat). */
function processGroupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** Pids of `sleep 100` processes. */
function sleepPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, 'latin1') === 'sleep\u0000100\u0000';
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Pids whose process group is `pgid` and that are not zombies. */
function livingGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid && rest[0] !== 'Z') out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

describe('ActionService', () => {
  let tmp: Awaited<ReturnType<typeof createTempDir>>;
  let frames: AgentToServer[];
  let service: ActionService;
  let ledger: CommandLedger;

  const session: LinkSession = {
    welcome: {
      type: 'welcome',
      serverTime: 0,
      heartbeatIntervalMs: 25_000,
      limits: { maxPayloadBytes: 65_536, messagesPerSecond: 100 },
    },
    maxFrameBytes: 65_536,
    send: (frame) => session.sendText(JSON.stringify(frame)),
    sendText: (text, done) => {
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(65_536);
      const parsed = AgentToServer.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(`invalid frame ${text}`);
      frames.push(parsed.data);
      done?.();
      return true;
    },
    bufferedAmount: () => 0,
  };
  const results = (): Result[] => frames.filter((f): f is Result => f.type === 'action.result');
  const resultOf = (actionId: string): Promise<Result> =>
    waitFor(() => results().find((r) => r.actionId === actionId), 10_000, `result of ${actionId}`);
  const output = (actionId: string): string =>
    frames.map((f) => (f.type === 'action.output' && f.actionId === actionId ? f.data : '')).join('');

  beforeEach(async () => {
    tmp = await createTempDir();
    frames = [];
    ledger = new CommandLedger(tmp.dir);
    const delivery = new FrameDelivery(ledger, silentLogger);
    delivery.attach(session);
    service = new ActionService({
      hostId: TEST_HOST_ID,
      publicKey: keys.publicKey,
      skewMs: 5000,
      actions: ACTIONS,
      ledger,
      delivery,
      log: silentLogger,
    });
  });
  afterEach(async () => {
    await service.shutdown();
    ledger.close();
    await tmp.remove();
  });

  const run = (action: string, params: Record<string, string | number | boolean>) => {
    const command = runCommand(TEST_HOST_ID, action, params);
    service.handle(signCommand(command, keys.privateKey));
    return command.actionId;
  };

  it('runs an allowed action without a shell and reports started, output and succeeded', async () => {
    const id = run('restart-service', { unit: 'nginx' });
    const result = await resultOf(id);
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 0, signal: null, truncated: false });
    expect(output(id)).toBe('restart nginx\n');
    expect(frames.findIndex((f) => f.type === 'action.started')).toBeLessThan(frames.indexOf(result));
  });

  it('substitutes a value verbatim into its single argv element', async () => {
    const id = run('greet', { name: 'a.b/c' });
    await resultOf(id);
    expect(output(id)).toBe('hello=a.b/c\n');
  });

  it.each([
    ['restart-service', { unit: 'nginx; id' }, /must be one of/],
    ['restart-service', { unit: '../../bin/sh' }, /must be one of/],
    ['greet', { name: '../../bin/sh' }, /"\.\." path segment/],
    ['greet', { name: '-rf' }, /may not start with "-"/],
    ['greet', { name: 'x y' }, /does not match/],
    ['restart-service', { unit: 'nginx', extra: 'x' }, /unknown parameter "extra"/],
    ['count', { n: -5 }, /at least 1/],
    ['rm-everything', {}, /not in this agent's catalog/],
  ])('refuses %s with %j', async (action, params, message) => {
    const id = run(action, params);
    const result = await resultOf(id);
    expect(result.status).toBe('rejected');
    expect(result.error).toMatch(message);
    expect(frames.some((f) => f.type === 'action.started')).toBe(false);
  });

  it('refuses unsigned, badly signed, expired and other-host commands', async () => {
    const unsigned = runCommand(TEST_HOST_ID, 'restart-service', { unit: 'nginx' });
    service.handle({ type: 'command', payload: JSON.stringify(unsigned), signature: '' });
    const forged = runCommand(TEST_HOST_ID, 'restart-service', { unit: 'nginx' });
    service.handle(signCommand(forged, otherKeys.privateKey));
    const tampered = signCommand(
      runCommand(TEST_HOST_ID, 'restart-service', { unit: 'nginx' }),
      keys.privateKey,
    );
    const tamperedId = (JSON.parse(tampered.payload) as { actionId: string }).actionId;
    service.handle({ ...tampered, payload: tampered.payload.replace('nginx', 'postgresql') });
    const expired = runCommand(
      TEST_HOST_ID,
      'restart-service',
      { unit: 'nginx' },
      { expiresAt: Date.now() - 6000 },
    );
    service.handle(signCommand(expired, keys.privateKey));
    const otherHost = runCommand('host_other', 'restart-service', { unit: 'nginx' });
    service.handle(signCommand(otherHost, keys.privateKey));
    const byId = await waitFor(() => (results().length === 5 ? results() : undefined), 3000, 'five refusals');
    const errors = Object.fromEntries(byId.map((r) => [r.actionId, `${r.status}: ${r.error ?? ''}`]));
    expect(errors[unsigned.actionId]).toBe('rejected: command signature is invalid');
    expect(errors[forged.actionId]).toBe('rejected: command signature is invalid');
    expect(errors[tamperedId]).toBe('rejected: command signature is invalid');
    expect(errors[expired.actionId]).toBe('rejected: command has expired');
    expect(errors[otherHost.actionId]).toBe('rejected: command is addressed to another host');
    expect(frames.some((f) => f.type === 'action.started')).toBe(false);
  });

  it('accepts a command within the clock-skew allowance', async () => {
    const command = runCommand(
      TEST_HOST_ID,
      'restart-service',
      { unit: 'nginx' },
      { expiresAt: Date.now() - 1000 },
    );
    service.handle(signCommand(command, keys.privateKey));
    expect((await resultOf(command.actionId)).status).toBe('succeeded');
  });

  it('runs a replayed command once, even after the ledger is reopened', async () => {
    const frame = signCommand(
      runCommand(TEST_HOST_ID, 'restart-service', { unit: 'nginx' }),
      keys.privateKey,
    );
    service.handle(frame);
    service.handle(frame);
    await waitFor(() => results().length === 1, 3000, 'first result');
    expect(frames.find((f) => f.type === 'error')).toMatchObject({ code: 'conflict' });
    const reopenedLedger = new CommandLedger(tmp.dir);
    const reopenedDelivery = new FrameDelivery(reopenedLedger, silentLogger);
    reopenedDelivery.attach(session);
    const reopened = new ActionService({
      hostId: TEST_HOST_ID,
      publicKey: keys.publicKey,
      skewMs: 5000,
      actions: ACTIONS,
      ledger: reopenedLedger,
      delivery: reopenedDelivery,
      log: silentLogger,
    });
    reopened.handle(frame);
    // The reopened service answers the replay with its own conflict instead of running it again.
    const conflicts = () => frames.filter((f) => f.type === 'error' && f.code === 'conflict').length;
    await waitFor(() => conflicts() === 2, 3000, 'conflict after reopening');
    expect(frames.filter((f) => f.type === 'action.started')).toHaveLength(1);
    await reopened.shutdown();
    reopenedLedger.close();
  });

  it('kills a timed-out action together with its children', async () => {
    const id = run('sleepy', {});
    await waitFor(() => frames.find((f) => f.type === 'action.started'), 3000, 'start');
    const sleepers = await waitFor(
      () => {
        const found = sleepPids();
        return found.length === 2 ? found : undefined;
      },
      3000,
      'both sleep processes',
    );
    const pgid = processGroupOf(sleepers[0] ?? 0);
    expect(sleepers.map(processGroupOf)).toEqual([pgid, pgid]);
    expect(pgid).not.toBe(processGroupOf(process.pid));
    const result = await resultOf(id);
    expect(result.status).toBe('timed_out');
    expect(result.signal).toBe('SIGTERM');
    expect(livingGroupMembers(pgid)).toEqual([]);
  });

  it('cancels a running action and its process group on a signed cancel command', async () => {
    const runCmd = runCommand(TEST_HOST_ID, 'slow', {});
    service.handle(signCommand(runCmd, keys.privateKey));
    await waitFor(() => frames.find((f) => f.type === 'action.started'), 3000, 'start');
    const now = Date.now();
    service.handle(
      signCommand(
        {
          kind: 'cancel',
          actionId: runCmd.actionId,
          hostId: TEST_HOST_ID,
          issuedAt: now,
          expiresAt: now + 60_000,
        },
        keys.privateKey,
      ),
    );
    const result = await resultOf(runCmd.actionId);
    expect(result.status).toBe('cancelled');
    expect(service.active).toBe(0);
  });

  it('truncates output at the cap and says so', async () => {
    const id = run('chatty', {});
    const result = await resultOf(id);
    expect(result).toMatchObject({ status: 'succeeded', truncated: true });
    expect(Buffer.byteLength(output(id))).toBe(1000);
    expect(output(id).startsWith('1\n2\n3\n')).toBe(true);
  });

  it('keeps a result on disk until the server acknowledges it', async () => {
    const offline = new FrameDelivery(ledger, silentLogger);
    const svc = new ActionService({
      hostId: TEST_HOST_ID,
      publicKey: keys.publicKey,
      skewMs: 5000,
      actions: ACTIONS,
      ledger,
      delivery: offline,
      log: silentLogger,
    });
    const command = runCommand(TEST_HOST_ID, 'restart-service', { unit: 'postgresql' });
    svc.handle(signCommand(command, keys.privateKey));
    await waitFor(() => ledger.pendingFrames().length === 1, 3000, 'stored result');
    expect(frames).toEqual([]);
    offline.attach(session);
    expect(frames.map((f) => f.type)).toEqual(['action.started', 'action.output', 'action.result']);
    // Sent is not stored: the result stays until the server's ack for its request id.
    expect(ledger.pendingFrames()).toHaveLength(1);
    const result = frames.at(-1) as { id?: string };
    expect(result.id).toBe(resultRequestId(command.actionId));
    offline.detach();
    frames.length = 0;
    offline.attach(session);
    expect(frames.map((f) => f.type)).toEqual(['action.result']);
    expect(offline.settle(result.id ?? '')).toBe(true);
    expect(ledger.pendingFrames()).toEqual([]);
  });
});
