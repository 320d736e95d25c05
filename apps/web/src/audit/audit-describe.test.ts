// Tests of the audit wording: names over ids, sentences over JSON.
import type { AuditEvent } from '@hostwire/protocol';
import { describe, expect, it } from 'vitest';
import { describeActor, describeDetails, describeTarget, type AuditNames } from './audit-describe.js';

const names: AuditNames = {
  users: new Map([['u_1', 'ada@example.com']]),
  hosts: new Map([['h_1', 'web-1']]),
};

const event = (overrides: Partial<AuditEvent>): AuditEvent => ({
  id: 1,
  organizationId: 'o_1',
  actorType: 'user',
  actorId: 'u_1',
  action: 'action.run',
  targetType: 'host',
  targetId: 'h_1',
  decision: 'allowed',
  details: null,
  ip: null,
  createdAt: 0,
  actorName: null,
  ...overrides,
});

describe('audit wording', () => {
  it('names the actor and the host instead of their ids', () => {
    expect(describeActor(event({}), names)).toBe('ada@example.com');
    expect(describeTarget(event({}), names)).toBe('web-1');
    expect(describeActor(event({ actorType: 'system', actorId: null }), names)).toBe('system');
  });

  it('names an API token actor and target by the name recorded with the event', () => {
    const byToken = event({ actorType: 'api_token', actorId: 't_1', actorName: 'deploy-ci' });
    expect(describeActor(byToken, names)).toBe('API token deploy-ci');
    const created = event({
      action: 'api_token.created',
      targetType: 'api_token',
      targetId: 't_1',
      details: { name: 'deploy-ci', role: 'operator' },
    });
    expect(describeTarget(created, names)).toBe('API token deploy-ci');
    expect(describeDetails(created)).toBe('deploy-ci as operator');
  });

  it('falls back to the name kept in the details for a deleted host', () => {
    const deleted = event({ action: 'host.deleted', targetId: 'h_gone', details: { name: 'old-db' } });
    expect(describeTarget(deleted, names)).toBe('old-db');
  });

  it('writes an action run with its parameters and outcome as a sentence', () => {
    const run = event({
      details: { actionId: 'a_1', action: 'restart', params: { unit: 'nginx' }, outcome: 'agent_offline' },
    });
    expect(describeDetails(run)).toBe('restart (unit=nginx) — agent offline');
    expect(
      describeDetails(event({ action: 'member.role_changed', details: { from: 'viewer', to: 'admin' } })),
    ).toBe('from viewer to admin');
  });
});
