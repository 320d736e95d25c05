/** @module actions/action-service — handles signed `command` frames: verify, allow-list, run, report. */
import type { KeyObject } from 'node:crypto';
import { validateActionParams } from '@hostwire/protocol/agent';
import type { ActionDescriptor, ActionOutcome, ActionParams, ServerToAgent } from '@hostwire/protocol';
import type { BuiltinAction } from '../containers/container-actions.js';
import type { ActionConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { CommandLedger } from '../outbox/command-ledger.js';
import { findUnsafeParams, renderArgv } from './argv-template.js';
import { verifyCommand } from './command-verifier.js';
import type { FrameDelivery } from './frame-delivery.js';
import { runProcess } from './process-runner.js';

type CommandFrame = Extract<ServerToAgent, { type: 'command' }>;

export interface ActionServiceOptions {
  hostId: string;
  publicKey: KeyObject;
  skewMs: number;
  actions: readonly ActionConfig[];
  ledger: CommandLedger;
  delivery: FrameDelivery;
  log: Logger;
  /** Environment of action processes (default: PATH and LANG only). */
  env?: NodeJS.ProcessEnv;
  /** Actions the agent implements itself (the container actions when the config turns them on). */
  builtins?: readonly BuiltinAction[];
}

/** The catalog as announced in `hello`: everything but the argv. */
export function describeActions(actions: readonly ActionConfig[]): ActionDescriptor[] {
  return actions.map(({ argv: _argv, ...descriptor }) => descriptor);
}

/** Runs allow-listed actions for verified commands; each (kind, actionId) is handled at most once. */
export class ActionService {
  private readonly options: ActionServiceOptions;
  private readonly catalog: Map<string, ActionConfig>;
  private readonly builtins: Map<string, BuiltinAction>;
  private readonly running = new Map<string, { cancel: AbortController; done: Promise<void> }>();
  private readonly env: NodeJS.ProcessEnv;

  constructor(options: ActionServiceOptions) {
    this.options = options;
    this.catalog = new Map(options.actions.map((a) => [a.name, a]));
    this.builtins = new Map((options.builtins ?? []).map((b) => [b.descriptor.name, b]));
    this.env = options.env ?? { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };
  }

  /** Number of actions currently running. */
  get active(): number {
    return this.running.size;
  }

  /** Handles one `command` frame; never throws. */
  handle(frame: CommandFrame): void {
    const { ledger, hostId, publicKey, skewMs, delivery, log } = this.options;
    ledger.purge(Date.now(), skewMs);
    const verdict = verifyCommand(frame, { publicKey, hostId, skewMs, ledger });
    if (!verdict.ok) {
      log.warn(`refused command${verdict.actionId ? ` ${verdict.actionId}` : ''}: ${verdict.message}`);
      // A replay must not overwrite the outcome the first delivery reported.
      if (verdict.reason === 'replay')
        return delivery.send({ type: 'error', code: 'conflict', message: verdict.message });
      if (verdict.actionId) return this.reject(verdict.actionId, verdict.message);
      return delivery.send({ type: 'error', code: 'invalid_message', message: verdict.message });
    }
    const command = verdict.command;
    if (command.kind === 'cancel') {
      const run = this.running.get(command.actionId);
      if (run) {
        log.info(`cancelling action ${command.actionId}`);
        run.cancel.abort();
      }
      return;
    }
    const builtin = this.catalog.has(command.action) ? undefined : this.builtins.get(command.action);
    if (builtin) {
      const checked = validateActionParams(builtin.descriptor, command.params);
      if (!checked.ok)
        return this.reject(command.actionId, `invalid parameters: ${checked.problems.join('; ')}`);
      return this.startBuiltin(command.actionId, builtin, checked.params);
    }
    const action = this.catalog.get(command.action);
    if (!action)
      return this.reject(command.actionId, `action "${command.action}" is not in this agent's catalog`);
    const checked = validateActionParams(action, command.params);
    if (!checked.ok)
      return this.reject(command.actionId, `invalid parameters: ${checked.problems.join('; ')}`);
    const unsafe = findUnsafeParams(checked.params, action.params);
    if (unsafe.length > 0) return this.reject(command.actionId, `refused parameters: ${unsafe.join('; ')}`);
    this.start(command.actionId, action, renderArgv(action.argv, checked.params));
  }

  /** Cancels every running action and waits until their results are stored. */
  async shutdown(): Promise<void> {
    for (const run of this.running.values()) run.cancel.abort();
    await Promise.all([...this.running.values()].map((run) => run.done));
  }

  private start(actionId: string, action: ActionConfig, argv: string[]): void {
    const { delivery, log } = this.options;
    const cancel = new AbortController();
    log.info(`running action ${action.name} (${actionId})`);
    const done = runProcess(argv, {
      timeoutMs: action.timeoutMs,
      outputCapBytes: action.outputCapBytes,
      signal: cancel.signal,
      env: this.env,
      onStart: () => delivery.send({ type: 'action.started', actionId, startedAt: Date.now() }),
      onOutput: (stream, data) => delivery.send({ type: 'action.output', actionId, stream, data }),
    }).then((result) => {
      this.running.delete(actionId);
      log.info(`action ${action.name} (${actionId}) ${result.status}`);
      this.finish(actionId, result.status, result.exitCode, result.signal, result.truncated, result.error);
    });
    this.running.set(actionId, { cancel, done });
  }

  private startBuiltin(actionId: string, builtin: BuiltinAction, params: ActionParams): void {
    const { delivery, log } = this.options;
    const cancel = new AbortController();
    const name = builtin.descriptor.name;
    log.info(`running action ${name} (${actionId})`);
    const done = builtin
      .run(params, {
        signal: cancel.signal,
        onStart: () => delivery.send({ type: 'action.started', actionId, startedAt: Date.now() }),
        onOutput: (data) => delivery.send({ type: 'action.output', actionId, stream: 'stdout', data }),
      })
      .catch((error: unknown) => ({ status: 'failed' as const, exitCode: null, error: String(error) }))
      .then((result) => {
        this.running.delete(actionId);
        log.info(`action ${name} (${actionId}) ${result.status}`);
        this.finish(actionId, result.status, result.exitCode, null, false, result.error);
      });
    this.running.set(actionId, { cancel, done });
  }

  private reject(actionId: string, error: string): void {
    this.finish(actionId, 'rejected', null, null, false, error);
  }

  private finish(
    actionId: string,
    status: ActionOutcome,
    exitCode: number | null,
    signal: string | null,
    truncated: boolean,
    error?: string,
  ): void {
    this.options.delivery.sendResult({
      type: 'action.result',
      actionId,
      status,
      exitCode,
      signal,
      truncated,
      finishedAt: Date.now(),
      ...(error === undefined ? {} : { error: error.slice(0, 1000) }),
    });
  }
}
