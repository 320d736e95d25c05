// The alerts store follows alert frames; the editors' drafts validate like the server and keep secrets write-only.
import type { Alert } from '@hostwire/protocol';
import { describe, expect, it } from 'vitest';
import {
  checkChannelDraft,
  checkRuleDraft,
  describeCondition,
  draftFromRule,
  emptyChannelDraft,
  emptyRuleDraft,
} from './alert-forms.js';
import { AlertsStore } from './alerts-store.js';

const alert = (id: string, hostId: string, state: Alert['state']): Alert => ({
  id,
  organizationId: 'o1',
  ruleId: 'r1',
  ruleName: 'cpu',
  hostId,
  hostName: hostId,
  container: null,
  severity: 'warning',
  state,
  value: 95,
  startedAt: 1,
  firedAt: 2,
  resolvedAt: state === 'resolved' ? 3 : null,
});

describe('AlertsStore', () => {
  it('adds firing alerts, moves resolved ones, indexes by host, and ignores other organizations', () => {
    const store = new AlertsStore('o1');
    store.load([alert('a1', 'h1', 'firing'), alert('a0', 'h2', 'resolved')]);
    expect(
      store
        .getSnapshot()
        .byHost.get('h1')
        ?.map((a) => a.id),
    ).toEqual(['a1']);
    store.apply({ type: 'alert.firing', organizationId: 'o1', alert: alert('a2', 'h1', 'firing') });
    expect(store.getSnapshot().byHost.get('h1')).toHaveLength(2);
    store.apply({ type: 'alert.resolved', organizationId: 'o1', alert: alert('a1', 'h1', 'resolved') });
    const snap = store.getSnapshot();
    expect(snap.firing?.map((a) => a.id)).toEqual(['a2']);
    expect(snap.resolved.map((a) => a.id)).toEqual(['a1', 'a0']);
    expect(
      store.apply({ type: 'alert.firing', organizationId: 'o2', alert: alert('x', 'h9', 'firing') }),
    ).toBe(false);
  });
});

describe('rule drafts', () => {
  it('builds the body the server expects', () => {
    const checked = checkRuleDraft({
      ...emptyRuleDraft(),
      name: ' High CPU ',
      threshold: '90',
      forSeconds: '30',
    });
    expect(checked).toEqual({
      ok: true,
      body: {
        name: 'High CPU',
        condition: { kind: 'metric', series: 'cpu', op: '>', threshold: 90 },
        forSeconds: 30,
        hostIds: null,
        channelIds: [],
        severity: 'warning',
      },
    });
  });

  it('names each bad field', () => {
    const checked = checkRuleDraft({
      ...emptyRuleDraft(),
      kind: 'container_metric',
      threshold: 'lots',
      forSeconds: '-1',
      container: 'a/b',
      allHosts: false,
    });
    expect(checked.ok).toBe(false);
    if (!checked.ok)
      expect(Object.keys(checked.errors).sort()).toEqual([
        'container',
        'forSeconds',
        'hostIds',
        'name',
        'threshold',
      ]);
  });

  it('round-trips a rule and describes conditions', () => {
    const draft = draftFromRule({
      id: 'r',
      organizationId: 'o',
      name: 'web down',
      condition: { kind: 'container_down', container: 'web-*' },
      forSeconds: 0,
      hostIds: ['h1'],
      channelIds: ['c1'],
      severity: 'critical',
      createdAt: 0,
      updatedAt: 0,
    });
    const checked = checkRuleDraft(draft);
    expect(checked.ok && checked.body.condition).toEqual({ kind: 'container_down', container: 'web-*' });
    expect(describeCondition({ kind: 'metric', series: 'disk', op: '>=', threshold: 90 })).toBe(
      'disk >= 90 %',
    );
  });
});

describe('channel drafts', () => {
  it('refuses non-http URLs and bad keys, and leaves empty secrets out of an edit', () => {
    const bad = checkChannelDraft({ ...emptyChannelDraft(), name: 'x', url: 'file:///etc/passwd' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.url).toMatch(/http/);
    const badKey = checkChannelDraft({
      ...emptyChannelDraft(),
      name: 'x',
      url: 'https://e.com',
      secret: 'nope',
    });
    expect(badKey.ok).toBe(false);
    const edit = checkChannelDraft({ ...emptyChannelDraft(), name: 'renamed' }, true);
    expect(edit).toEqual({ ok: true, body: { name: 'renamed', type: 'webhook', config: {} } });
    const email = checkChannelDraft({
      ...emptyChannelDraft(),
      name: 'ops',
      type: 'email',
      to: 'a@example.com, b@example.com',
    });
    expect(email.ok && email.body.config).toEqual({ to: ['a@example.com', 'b@example.com'] });
  });
});
