/** @module config/defaults — the default metrics, log sources and action catalog `enroll` writes. */
import type { ActionParamSpecInput } from '@hostwire/protocol';

/** Default metrics settings: 10 s slow interval, an outbox holding 24 h of samples at that interval. */
export const DEFAULT_METRICS = {
  intervalMs: 10_000,
  outboxMaxSamples: 8640,
  outboxMaxAgeMs: 24 * 3600_000,
  maxBatchesInFlight: 4,
} as const;

/** A log source as written in the config file. */
export type LogSourceInput =
  | { name: string; description?: string; kind: 'file'; path: string }
  | { name: string; description?: string; kind: 'journald'; unit: string }
  | { name: string; description?: string; kind: 'docker'; container: string };

/** An action as written in the config file. */
export interface ActionInput {
  name: string;
  description?: string;
  argv: string[];
  params?: Record<string, ActionParamSpecInput>;
  dangerous?: boolean;
  timeoutMs?: number;
  outputCapBytes?: number;
}

export const DEFAULT_LOG_SOURCES: LogSourceInput[] = [
  { name: 'syslog', kind: 'file', path: '/var/log/syslog', description: 'System log' },
  { name: 'auth', kind: 'file', path: '/var/log/auth.log', description: 'Authentication log' },
  { name: 'journal-ssh', kind: 'journald', unit: 'ssh.service', description: 'OpenSSH server (journald)' },
];

const UNIT_ENUM = ['nginx', 'postgresql', 'docker', 'ssh'];

export const DEFAULT_ACTIONS: ActionInput[] = [
  {
    name: 'restart-service',
    description: 'Restart one of a few named systemd units',
    argv: ['systemctl', 'restart', '--', '{{unit}}'],
    params: { unit: { type: 'string', enum: UNIT_ENUM, description: 'systemd unit' } },
    dangerous: true,
    timeoutMs: 60_000,
    outputCapBytes: 65_536,
  },
  {
    name: 'disk-usage',
    description: 'Filesystem usage (df -h)',
    argv: ['df', '-h'],
    timeoutMs: 15_000,
    outputCapBytes: 65_536,
  },
  {
    name: 'top-processes',
    description: 'Processes sorted by CPU usage',
    argv: ['ps', '-eo', 'pid,user,comm,%cpu,%mem,rss', '--sort=-%cpu'],
    timeoutMs: 15_000,
    outputCapBytes: 262_144,
  },
  {
    name: 'uptime',
    description: 'Uptime and load averages',
    argv: ['uptime'],
    timeoutMs: 5000,
    outputCapBytes: 4096,
  },
  {
    name: 'journal-tail',
    description: 'The last lines of a systemd unit journal',
    argv: ['journalctl', '--no-pager', '-u', '{{unit}}', '-n', '{{lines}}'],
    params: {
      unit: { type: 'string', enum: UNIT_ENUM, description: 'systemd unit' },
      lines: { type: 'integer', min: 1, max: 5000, description: 'number of lines' },
    },
    timeoutMs: 30_000,
    outputCapBytes: 1_048_576,
  },
];
