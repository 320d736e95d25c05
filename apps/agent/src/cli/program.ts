/** @module cli/program — the `hostwire-agent` command line: enroll, run, status. */
import { spawn } from 'node:child_process';
import { Command, CommanderError, Option } from 'commander';
import { runAgent } from '../agent.js';
import { defaultConfigPath, loadAgentConfig, resolveStateDir } from '../config/load.js';
import { AgentExitError, EXIT_CODES, toAgentExitError } from '../errors.js';
import type { Logger } from '../log.js';
import { createLogger } from '../log.js';
import { AGENT_VERSION } from '../version.js';
// enroll, update and status are loaded by their command, so `run` does not carry them.

const EXIT_HELP = `
Exit codes:
  0  ok                        6  host deleted or token revoked (HTTP 403, close 4001)
  1  internal error            7  replaced by another agent for this host (close 4000)
  2  usage error               8  invalid or missing config file
  3  invalid server URL        9  unexpected server answer
  4  server unreachable       10  status: agent not running
  5  token refused (401)      11  status: running but disconnected
                              12  state dir not writable or unreadable`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

function configOption(): Option {
  return new Option('-c, --config <path>', 'config file').default(defaultConfigPath());
}

/** Builds the commander program; every action resolves to a process exit code. */
export function createProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('hostwire-agent')
    .description(
      'Hostwire host agent: streams metrics, tails logs and runs allow-listed actions over an outbound WebSocket.',
    )
    .version(AGENT_VERSION)
    .addHelpText('after', EXIT_HELP)
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  program
    .command('enroll')
    .description('enroll this host with an enrollment token and write the config file (mode 0600)')
    .requiredOption('-s, --server <url>', 'Hostwire server URL, e.g. https://hostwire.example.com')
    .requiredOption('-t, --token <token>', 'one-time enrollment token from the web UI')
    .addOption(configOption())
    .option(
      '--state-dir <dir>',
      'where the agent keeps its outbox and status (default: state/ next to the config)',
    )
    .action(async (opts: { server: string; token: string; config: string; stateDir?: string }) => {
      const { enroll } = await import('./enroll.js');
      const result = await enroll({
        server: opts.server,
        token: opts.token,
        configPath: opts.config,
        ...(opts.stateDir === undefined ? {} : { stateDir: opts.stateDir }),
      });
      io.out(
        `Enrolled as host ${result.hostId}; config written to ${result.configPath}.\nStart the agent with: hostwire-agent run --config ${result.configPath}\n`,
      );
      setExit(EXIT_CODES.OK);
    });

  program
    .command('run')
    .description('connect to the server and run until stopped (SIGINT/SIGTERM)')
    .addOption(configOption())
    .action(async (opts: { config: string }) => {
      const config = await loadAgentConfig(opts.config);
      const stateDir = resolveStateDir(config, opts.config);
      const log = createLogger(config.logLevel);
      const controller = new AbortController();
      const stop = (signal: string): void => {
        log.info(`received ${signal}, stopping`);
        controller.abort();
      };
      let reexec = false;
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      // `hostwire-agent update` replaced the executable: stop cleanly and start the new one.
      process.once('SIGUSR2', () => {
        reexec = true;
        stop('SIGUSR2 (updated)');
      });
      log.info(`hostwire-agent ${AGENT_VERSION} starting (config ${opts.config}, state ${stateDir})`);
      const fatal = await runAgent(config, { stateDir, signal: controller.signal, log });
      if (fatal) throw fatal;
      if (reexec) await reexecute(log);
      setExit(EXIT_CODES.OK);
    });

  program
    .command('update')
    .description("replace this executable with the server's current one (checked against SHA256SUMS)")
    .addOption(configOption())
    .option('-s, --server <url>', 'server to fetch from (default: the one in the config)')
    .option('--force', 'install even when the versions are equal')
    .action(async (opts: { config: string; server?: string; force?: boolean }) => {
      const config = await loadAgentConfig(opts.config);
      const { update } = await import('./update.js');
      await update({
        server: opts.server ?? config.server,
        stateDir: resolveStateDir(config, opts.config),
        force: opts.force === true,
        print: (line) => io.out(`${line}\n`),
      });
      setExit(EXIT_CODES.OK);
    });

  program
    .command('status')
    .description('show whether the running agent is connected, since when, reconnects and buffered samples')
    .addOption(configOption())
    .option('--json', 'print the status as JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      const config = await loadAgentConfig(opts.config);
      const { showStatus } = await import('./status.js');
      setExit(
        await showStatus(resolveStateDir(config, opts.config), opts.json === true, (t) => io.out(`${t}\n`)),
      );
    });

  return program;
}

/**
 * Starts the (updated) executable with the same arguments. Under systemd (INVOCATION_ID is set) the
 * unit's Restart=always starts it instead, so the new process stays the service's main process.
 */
async function reexecute(log: Logger): Promise<void> {
  if (process.env.INVOCATION_ID) {
    log.info('updated: systemd restarts the agent with the new executable');
    return;
  }
  const { currentExecutable } = await import('./update.js');
  const child = spawn(currentExecutable(), process.argv.slice(process.versions.bun === undefined ? 1 : 2), {
    stdio: 'inherit',
    detached: true,
  });
  child.once('error', (error) => log.error(`could not start the new executable: ${error.message}`));
  child.unref();
  log.info(`updated: started the new executable (pid ${child.pid ?? '?'})`);
}

/** Runs the CLI with `argv` (process.argv form) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT_CODES.OK;
  const program = createProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_CODES.OK : EXIT_CODES.USAGE;
    }
    const failure = error instanceof AgentExitError ? error : toAgentExitError(error);
    io.err(`hostwire-agent: ${failure.message}\n`);
    if (failure.code === 'INTERNAL' && failure.cause instanceof Error && failure.cause.stack)
      io.err(`${failure.cause.stack}\n`);
    return failure.exitCode;
  }
}
