/** @module hello — the `hello` frame: who this agent is and what it offers. */
import os from 'node:os';
import type { ActionDescriptor, AgentHello, LogSourceDescriptor } from '@hostwire/protocol';
import { AGENT_VERSION } from './version.js';

/** Builds `hello`; `capabilities` lists the features and the log backends present on this machine. */
export function buildHello(input: {
  actions: ActionDescriptor[];
  logSources: LogSourceDescriptor[];
  backends: { journald: boolean; docker: boolean };
  pending: number;
}): AgentHello {
  const capabilities = ['metrics', 'logs', 'actions', 'logs.file'];
  if (input.backends.journald) capabilities.push('logs.journald');
  if (input.backends.docker) capabilities.push('logs.docker');
  return {
    type: 'hello',
    agentVersion: AGENT_VERSION,
    hostname: os.hostname().slice(0, 256),
    os: { platform: os.platform(), release: os.release().slice(0, 128), arch: os.arch() },
    capabilities,
    actions: input.actions,
    logSources: input.logSources,
    outbox: { pending: input.pending },
  };
}
