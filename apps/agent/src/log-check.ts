/** @module log-check — which configured log sources exist on this machine, for `hello` and `logs.check`. */
import { accessSync, constants, statSync } from 'node:fs';
import type { LogSourceDescriptor } from '@hostwire/protocol';
import type { LogSourceConfig } from './config/schema.js';
import type { LogBackends } from './logs/log-manager.js';

function fileProblem(path: string): string | null {
  try {
    if (statSync(path).isDirectory()) return `${path} is a directory, not a log file`;
    accessSync(path, constants.R_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${path} does not exist`;
    if (code === 'EACCES' || code === 'EPERM') return `${path} is not readable by the agent`;
    return `${path} cannot be read (${code ?? 'error'})`;
  }
}

/** The sources as announced: each with `available` and, when missing, the reason in plain words. */
export function checkLogSources(
  sources: readonly LogSourceConfig[],
  backends: LogBackends,
): LogSourceDescriptor[] {
  return sources.map((source) => {
    const base = { name: source.name, kind: source.kind, description: source.description };
    const problem =
      source.kind === 'file'
        ? fileProblem(source.path)
        : source.kind === 'journald'
          ? backends.journald
            ? null
            : 'journalctl is not installed on this host'
          : backends.docker
            ? null
            : 'Docker is not running on this host (no socket)';
    return problem === null
      ? { ...base, available: true }
      : { ...base, available: false, unavailableReason: problem };
  });
}
