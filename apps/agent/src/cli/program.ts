/** @module cli/program — the `hostwire-agent` command line: enroll, run, update, status, pin-release-key. */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { runAgent } from '../agent.js';
import { defaultConfigPath, loadAgentConfig, patchAgentConfig, resolveStateDir } from '../config/load.js';
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

/** One option of a command: a string value (`value` names it in the help) or a flag. */
interface OptionSpec {
  short?: string;
  value?: string;
  description: string;
  required?: boolean;
  default?: () => string;
}

type Values = Record<string, string | boolean | undefined>;

interface CommandSpec {
  description: string;
  options: Record<string, OptionSpec>;
  /** Runs the command; resolves to the exit code. */
  run: (values: Values, io: CliIo) => Promise<number>;
}

const CONFIG_OPTION: OptionSpec = {
  short: 'c',
  value: 'path',
  description: 'config file',
  default: defaultConfigPath,
};
const RELEASE_KEY_OPTION: OptionSpec = {
  value: 'key',
  description:
    'the release public key (base64 Ed25519) that must sign SHA256SUMS; pinned in the config (install.sh passes it)',
};
const INSECURE_HTTP_OPTION: OptionSpec = {
  description:
    'allow a plain http:// server that is not this machine (credentials travel in clear); remembered',
};
const str = (v: string | boolean | undefined): string => (typeof v === 'string' ? v : '');
const optional = (v: string | boolean | undefined): string | undefined =>
  typeof v === 'string' ? v : undefined;

// The CLI is parsed with node:util parseArgs (in both runtimes), not a CLI library: commander cost the
// executable ≈ 0.5 MB of RSS (1.7 MB alone) for four commands (bench/agent-footprint.mjs, docs/agent.md).
const COMMANDS: Record<string, CommandSpec> = {
  enroll: {
    description: 'enroll this host with an enrollment token and write the config file (mode 0600)',
    options: {
      server: {
        short: 's',
        value: 'url',
        required: true,
        description: 'Hostwire server URL, e.g. https://hostwire.example.com',
      },
      token: {
        short: 't',
        value: 'token',
        required: true,
        description: 'one-time enrollment token from the web UI',
      },
      config: CONFIG_OPTION,
      'state-dir': {
        value: 'dir',
        description: 'where the agent keeps its outbox and status (default: state/ next to the config)',
      },
      'release-key': RELEASE_KEY_OPTION,
      'insecure-http': INSECURE_HTTP_OPTION,
    },
    run: async (v, io) => {
      const { enroll } = await import('./enroll.js');
      const stateDir = optional(v['state-dir']);
      const releaseKey = optional(v['release-key']);
      const result = await enroll({
        server: str(v.server),
        token: str(v.token),
        configPath: str(v.config),
        ...(stateDir === undefined ? {} : { stateDir }),
        ...(releaseKey === undefined ? {} : { releaseKey }),
        insecureHttp: v['insecure-http'] === true,
      });
      for (const warning of result.warnings) io.err(`hostwire-agent: warning: ${warning}\n`);
      io.out(
        `Enrolled as host ${result.hostId}; config written to ${result.configPath}.\nStart the agent with: hostwire-agent run --config ${result.configPath}\n`,
      );
      return EXIT_CODES.OK;
    },
  },
  run: {
    description: 'connect to the server and run until stopped (SIGINT/SIGTERM)',
    options: { config: CONFIG_OPTION },
    run: async (v) => {
      const configPath = str(v.config);
      const config = await loadAgentConfig(configPath);
      const stateDir = resolveStateDir(config, configPath);
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
      log.info(`hostwire-agent ${AGENT_VERSION} starting (config ${configPath}, state ${stateDir})`);
      const fatal = await runAgent(config, { stateDir, signal: controller.signal, log });
      if (fatal) throw fatal;
      if (reexec) await reexecute(log);
      return EXIT_CODES.OK;
    },
  },
  update: {
    description: "replace this executable with the server's current one (checked against SHA256SUMS)",
    options: {
      config: CONFIG_OPTION,
      server: {
        short: 's',
        value: 'url',
        description: 'server to fetch from (default: the one in the config)',
      },
      force: { description: 'install even when the versions are equal' },
      'release-key': RELEASE_KEY_OPTION,
      'insecure-http': INSECURE_HTTP_OPTION,
    },
    run: async (v, io) => {
      const config = await loadAgentConfig(str(v.config));
      const { update } = await import('./update.js');
      const releaseKey = optional(v['release-key']);
      await update({
        server: typeof v.server === 'string' ? v.server : config.server,
        stateDir: resolveStateDir(config, str(v.config)),
        configPath: str(v.config),
        pinned: { releaseKey: config.releaseKey, insecureHttp: config.insecureHttp === true },
        ...(releaseKey === undefined ? {} : { releaseKey }),
        insecureHttp: v['insecure-http'] === true,
        force: v.force === true,
        print: (line) => io.out(`${line}\n`),
      });
      return EXIT_CODES.OK;
    },
  },
  'pin-release-key': {
    description:
      'pin the release key that update requires on SHA256SUMS (install.sh runs it on an existing config)',
    options: { config: CONFIG_OPTION, 'release-key': { ...RELEASE_KEY_OPTION, required: true } },
    run: async (v, io) => {
      const configPath = str(v.config);
      const config = await loadAgentConfig(configPath);
      const { parseReleaseKey } = await import('./trust.js');
      const key = str(v['release-key']);
      parseReleaseKey(key);
      if (config.releaseKey === key) {
        io.out(`The release key ${key} is already pinned in ${configPath}.\n`);
        return EXIT_CODES.OK;
      }
      await patchAgentConfig(configPath, { releaseKey: key });
      io.out(
        config.releaseKey === undefined
          ? `Pinned the release key ${key} in ${configPath}.\n`
          : `Replaced the pinned release key ${config.releaseKey} with ${key} in ${configPath}.\n`,
      );
      return EXIT_CODES.OK;
    },
  },
  status: {
    description: 'show whether the running agent is connected, since when, reconnects and buffered samples',
    options: { config: CONFIG_OPTION, json: { description: 'print the status as JSON' } },
    run: async (v, io) => {
      const config = await loadAgentConfig(str(v.config));
      const { showStatus } = await import('./status.js');
      return showStatus(resolveStateDir(config, str(v.config)), v.json === true, (t) => io.out(`${t}\n`));
    },
  },
};

/** Two columns, the second wrapped at 80 characters under itself. */
function columns(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([term]) => term.length)) + 2;
  return rows
    .map(([term, text]) => {
      const lines: string[] = [];
      let line = '';
      for (const word of text.split(' ')) {
        if (line && width + 2 + line.length + 1 + word.length > 80) {
          lines.push(line);
          line = word;
        } else line = line ? `${line} ${word}` : word;
      }
      lines.push(line);
      return `  ${term.padEnd(width)}${lines.join(`\n  ${' '.repeat(width)}`)}`;
    })
    .join('\n');
}

function optionTerm(name: string, spec: OptionSpec): string {
  const flag = spec.short ? `-${spec.short}, --${name}` : `--${name}`;
  return spec.value ? `${flag} <${spec.value}>` : flag;
}

function programHelp(): string {
  return `Usage: hostwire-agent [options] [command]

Hostwire host agent: streams metrics, tails logs and runs allow-listed actions
over an outbound WebSocket.

Options:
${columns([
  ['-V, --version', 'output the version number'],
  ['-h, --help', 'display help for command'],
])}

Commands:
${columns([
  ...Object.entries(COMMANDS).map(([name, c]): [string, string] => [`${name} [options]`, c.description]),
  ['help [command]', 'display help for command'],
])}
${EXIT_HELP}
`;
}

function commandHelp(name: string, command: CommandSpec): string {
  const rows = Object.entries(command.options).map(([option, spec]): [string, string] => [
    optionTerm(option, spec),
    spec.default ? `${spec.description} (default: "${spec.default()}")` : spec.description,
  ]);
  return `Usage: hostwire-agent ${name} [options]

${command.description}

Options:
${columns([...rows, ['-h, --help', 'display help for command']])}
`;
}

/** Parses a command's options; a string is a usage error. */
function parseOptions(command: CommandSpec, args: string[]): Values | string {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(command.options)) {
    options[name] = { type: spec.value ? 'string' : 'boolean', ...(spec.short ? { short: spec.short } : {}) };
  }
  let values: Values;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return (error as Error).message.split('. ')[0] ?? 'invalid arguments';
  }
  if (values.help === true) return values;
  for (const [name, spec] of Object.entries(command.options)) {
    if (values[name] === undefined && spec.default) values[name] = spec.default();
    if (values[name] === undefined && spec.required)
      return `required option '${optionTerm(name, spec)}' not specified`;
  }
  return values;
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
  const [first, ...rest] = argv.slice(2);
  if (first === '-V' || first === '--version') {
    io.out(`${AGENT_VERSION}\n`);
    return EXIT_CODES.OK;
  }
  if (first === '-h' || first === '--help' || (first === 'help' && rest[0] === undefined)) {
    io.out(programHelp());
    return EXIT_CODES.OK;
  }
  if (first === undefined) {
    io.err(programHelp());
    return EXIT_CODES.USAGE;
  }
  const name = first === 'help' ? (rest[0] ?? '') : first;
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`error: unknown command '${name}'\n\n${programHelp()}`);
    return EXIT_CODES.USAGE;
  }
  if (first === 'help') {
    io.out(commandHelp(name, command));
    return EXIT_CODES.OK;
  }
  const values = parseOptions(command, rest);
  if (typeof values === 'string') {
    io.err(`error: ${values}\n\n${commandHelp(name, command)}`);
    return EXIT_CODES.USAGE;
  }
  if (values.help === true) {
    io.out(commandHelp(name, command));
    return EXIT_CODES.OK;
  }
  try {
    return await command.run(values, io);
  } catch (error) {
    const failure = error instanceof AgentExitError ? error : toAgentExitError(error);
    io.err(`hostwire-agent: ${failure.message}\n`);
    if (failure.code === 'INTERNAL' && failure.cause instanceof Error && failure.cause.stack)
      io.err(`${failure.cause.stack}\n`);
    return failure.exitCode;
  }
}
