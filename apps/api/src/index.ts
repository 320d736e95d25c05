/** @module index — the hostwire-server process: configuration, server start, signals. */
import { ConfigError, loadConfig, readEnvironment } from './config.js';
import { startServer, type RunningServer } from './app-server.js';
import { createLogger } from './logger.js';
import { startLocalAgent } from './local-agent.js';

/** Starts hostwire-server; `defaults` fill in variables the environment leaves unset (npm start sets LOCAL_AGENT). */
export async function main(defaults: Record<string, string> = {}): Promise<RunningServer> {
  const env = { ...defaults, ...readEnvironment() };
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`hostwire-server: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const running = await startServer(config, { logger });
  logger.info(
    { url: running.url, database: config.database.kind, bus: config.redisUrl ? 'redis' : 'memory' },
    `Hostwire listening on ${config.publicUrl}`,
  );
  process.stdout.write(startBanner(config.publicUrl, running.setupUrl, config.localAgent));
  const localAgent = config.localAgent
    ? startLocalAgent(running.ctx, `http://127.0.0.1:${running.port}`)
    : undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    Promise.all([localAgent?.stop(), running.close()]).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return running;
}

/** What a person starting the server reads: where to open it and, on first run, the setup link. */
export function startBanner(publicUrl: string, setupUrl: string | undefined, localAgent: boolean): string {
  const lines = ['', `Hostwire is running. Open ${publicUrl} in your browser.`];
  if (setupUrl) {
    lines.push(
      '',
      'First run: create the administrator and your organization at',
      `  ${setupUrl}`,
      'This link holds the one-time setup code (also in DATA_DIR/setup-code); it stops working once setup is done.',
    );
    if (localAgent) lines.push("This machine's agent joins your organization as soon as setup is done.");
  } else if (localAgent) {
    lines.push("This machine's agent runs alongside the server.");
  }
  return `${lines.join('\n')}\n\n`;
}
