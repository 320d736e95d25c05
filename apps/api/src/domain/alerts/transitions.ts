/**
 * @module domain/alerts/transitions — the alert state machine in the store: open (pending or firing), fire,
 * resolve. Each change is a compare-and-set on the alert's state inside the caller's transaction, so two
 * instances racing on one alert make one change; a change that notifies stores one delivery per channel
 * of the rule in that same transaction (the outbox) and publishes its frame after the commit.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { topicFor, type Alert, type AlertRule } from '@hostwire/protocol';
import { createFrame } from '../../realtime/bus/types.js';
import type { Repositories } from '../../store/index.js';
import type { AlertRow } from '../../store/repositories/alerts.js';
import type { Outbox } from '../deps.js';
import { alertView } from './views.js';

/** What a transition needs of its rule (a deleted rule's last version still resolves its alerts). */
export interface RuleSnapshot {
  id: string;
  organizationId: string;
  name: string;
  kind: string;
  channelIds: readonly string[];
  severity: string;
}

/** What transitions need of a live rule. */
export function snapshotOf(rule: AlertRule): RuleSnapshot {
  return {
    id: rule.id,
    organizationId: rule.organizationId,
    name: rule.name,
    kind: rule.condition.kind,
    channelIds: rule.channelIds,
    severity: rule.severity,
  };
}

/** The snapshot of a deleted rule, from what its open alert kept (no channels left to notify). */
export function snapshotOfDeleted(alert: AlertRow): RuleSnapshot {
  return {
    id: alert.rule_id,
    organizationId: alert.organization_id,
    name: alert.rule_name,
    kind: alert.kind,
    channelIds: [],
    severity: alert.severity,
  };
}

export type AlertEventType = 'alert.firing' | 'alert.resolved';

/** A Standard Webhooks message id: the same on every attempt of one notification. */
export function newDeliveryId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

export function createTransitions(publicUrl: string) {
  /** The notification body (DESIGN "Alerts"): the same JSON on every attempt and every channel. */
  async function payloadOf(tx: Repositories, type: AlertEventType, alert: Alert, rule: RuleSnapshot) {
    const organizationName = (await tx.alerts.organizationName(alert.organizationId)) ?? '';
    return {
      type,
      alert,
      rule: { id: rule.id, name: rule.name },
      host: { id: alert.hostId, name: alert.hostName },
      organization: { id: alert.organizationId, name: organizationName },
      url: `${publicUrl}/hosts/${encodeURIComponent(alert.hostId)}?at=${alert.firedAt ?? alert.startedAt}`,
    };
  }

  /** Stores one delivery per existing channel of the rule, publishes the frame after commit; returns how many. */
  async function notify(
    tx: Repositories,
    outbox: Outbox,
    type: AlertEventType,
    row: AlertRow,
    rule: RuleSnapshot,
    now: number,
  ): Promise<number> {
    const alert = alertView(row);
    outbox.publish(
      topicFor.org(alert.organizationId),
      createFrame({ type, organizationId: alert.organizationId, alert }),
    );
    if (rule.channelIds.length === 0) return 0;
    const wanted = new Set(rule.channelIds);
    const channels = (await tx.alerts.listChannels(alert.organizationId)).filter((c) => wanted.has(c.id));
    if (channels.length === 0) return 0;
    const payload = JSON.stringify(await payloadOf(tx, type, alert, rule));
    for (const channel of channels) {
      await tx.alerts.insertDelivery({
        id: newDeliveryId(),
        organization_id: alert.organizationId,
        channel_id: channel.id,
        alert_id: alert.id,
        event: type,
        payload,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        lease_owner: null,
        lease_until: null,
        last_status_code: null,
        last_error: null,
        created_at: now,
        delivered_at: null,
      });
    }
    return channels.length;
  }

  return {
    /**
     * Opens the alert of (rule, host, container): `pending`, or `firing` (notified) when the condition has
     * held long enough already. Undefined when another instance opened it first.
     */
    async open(
      tx: Repositories,
      outbox: Outbox,
      rule: RuleSnapshot,
      target: { hostId: string; hostName: string; container: string },
      state: 'pending' | 'firing',
      startedAt: number,
      value: number | null,
      now: number,
    ): Promise<{ row: AlertRow; deliveries: number } | undefined> {
      const row: AlertRow = {
        id: randomUUID(),
        organization_id: rule.organizationId,
        rule_id: rule.id,
        rule_name: rule.name,
        kind: rule.kind,
        host_id: target.hostId,
        host_name: target.hostName,
        container: target.container,
        severity: rule.severity,
        state,
        value,
        started_at: startedAt,
        fired_at: state === 'firing' ? now : null,
        resolved_at: null,
        updated_at: now,
      };
      if (!(await tx.alerts.openAlert(row))) return undefined;
      const deliveries = state === 'firing' ? await notify(tx, outbox, 'alert.firing', row, rule, now) : 0;
      return { row, deliveries };
    },

    /** pending → firing (notified); undefined when it was no longer pending. */
    async fire(
      tx: Repositories,
      outbox: Outbox,
      alert: AlertRow,
      rule: RuleSnapshot,
      value: number | null,
      now: number,
    ): Promise<{ row: AlertRow; deliveries: number } | undefined> {
      const fields = { state: 'firing', value, fired_at: now, updated_at: now };
      if (!(await tx.alerts.transition(alert.id, ['pending'], fields))) return undefined;
      const row = { ...alert, ...fields };
      return { row, deliveries: await notify(tx, outbox, 'alert.firing', row, rule, now) };
    },

    /**
     * Ends an open alert: a firing one resolves (notified), a pending one is forgotten (it never fired).
     * Undefined when it was no longer open.
     */
    async resolve(
      tx: Repositories,
      outbox: Outbox,
      alert: AlertRow,
      rule: RuleSnapshot,
      now: number,
    ): Promise<{ row: AlertRow | undefined; deliveries: number } | undefined> {
      if (await tx.alerts.discardPending(alert.id)) return { row: undefined, deliveries: 0 };
      const fields = { state: 'resolved', resolved_at: now, updated_at: now };
      if (!(await tx.alerts.transition(alert.id, ['firing'], fields))) return undefined;
      const row = { ...alert, ...fields };
      return { row, deliveries: await notify(tx, outbox, 'alert.resolved', row, rule, now) };
    },
  };
}

export type Transitions = ReturnType<typeof createTransitions>;
