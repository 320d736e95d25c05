/**
 * @module containers/container-actions — the built-in actions `container-start`, `container-stop` and
 * `container-restart` (offered only with `"containers": {"actions": true}`). The `container` parameter
 * must name a container the engine reports at that moment; the call goes to the Engine API by the
 * container's id, never through a shell or a command line.
 */
import type { ActionDescriptor, ActionOutcome, ActionParams } from '@hostwire/protocol';
import type { EngineClient } from './engine-client.js';
import { EngineError } from './engine-client.js';

/** What a built-in action reports when it ends. */
export interface BuiltinResult {
  status: ActionOutcome;
  exitCode: number | null;
  error?: string;
}

/** An action the agent implements itself (no argv): the server signs and audits it like any other. */
export interface BuiltinAction {
  descriptor: ActionDescriptor;
  run(
    params: ActionParams,
    io: { signal: AbortSignal; onStart: () => void; onOutput: (data: string) => void },
  ): Promise<BuiltinResult>;
}

const VERBS = ['start', 'stop', 'restart'] as const;
type Verb = (typeof VERBS)[number];

const DESCRIPTIONS: Record<Verb, string> = {
  start: 'Start a container',
  stop: 'Stop a container (SIGTERM, then SIGKILL after 10 s)',
  restart: 'Restart a container',
};

/** How long the engine may take to start, stop or restart a container (ms). */
const ENGINE_ACTION_TIMEOUT_MS = 60_000;

/** The three container actions, working through `engine`; `list` gives the engine's containers now. */
export function createContainerActions(
  engine: EngineClient,
  list: () => Promise<{ id: string; name: string }[]>,
): BuiltinAction[] {
  return VERBS.map((verb) => ({
    descriptor: {
      name: `container-${verb}`,
      description: DESCRIPTIONS[verb],
      params: {
        container: {
          type: 'string',
          description: 'container name',
          required: true,
          pattern: '[A-Za-z0-9][A-Za-z0-9_.-]{0,254}',
          maxLength: 255,
        },
      },
      dangerous: verb !== 'start',
      timeoutMs: ENGINE_ACTION_TIMEOUT_MS,
      outputCapBytes: 4096,
    },
    async run(params, io): Promise<BuiltinResult> {
      const name = String(params.container ?? '');
      let containers: { id: string; name: string }[];
      try {
        containers = await list();
      } catch (error) {
        return {
          status: 'rejected',
          exitCode: null,
          error: `the container engine: ${(error as Error).message}`,
        };
      }
      const target = containers.find((c) => c.name === name);
      if (!target) {
        return { status: 'rejected', exitCode: null, error: `no container named "${name}" on this host` };
      }
      io.onStart();
      if (io.signal.aborted) return { status: 'cancelled', exitCode: null };
      try {
        await engine.json(`/containers/${target.id}/${verb}`, {
          method: 'POST',
          timeoutMs: ENGINE_ACTION_TIMEOUT_MS,
        });
        io.onOutput(`container ${name}: ${verb} done\n`);
        return { status: 'succeeded', exitCode: 0 };
      } catch (error) {
        // 304: already started / already stopped — what was asked holds.
        if (error instanceof EngineError && error.status === 304) {
          io.onOutput(`container ${name}: already ${verb === 'stop' ? 'stopped' : 'running'}\n`);
          return { status: 'succeeded', exitCode: 0 };
        }
        const message = (error as Error).message;
        io.onOutput(`container ${name}: ${verb} failed: ${message}\n`);
        return { status: 'failed', exitCode: 1, error: message.slice(0, 1000) };
      }
    },
  }));
}
