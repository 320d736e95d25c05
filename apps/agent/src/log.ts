/** @module log — the agent's line logger (stderr, one line per event, journald-friendly). */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A minimal structured logger; the agent logs to stderr so systemd/journald captures it. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Creates a logger writing `LEVEL message` lines at or above `level` to `write` (stderr by default). */
export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const at =
    (lvl: LogLevel) =>
    (message: string): void => {
      if (RANK[lvl] >= RANK[level]) write(`${new Date().toISOString()} ${lvl.toUpperCase()} ${message}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger that discards everything (tests, library use). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
