/**
 * @module store/repositories/alerts — alert rules, notification channels, alerts (state changes as
 * compare-and-set), the delivery outbox with its attempt log, and named leases.
 */
import type { Kysely } from 'kysely';
import type {
  AlertDeliveriesTable,
  AlertRulesTable,
  AlertsTable,
  Database,
  NotificationChannelsTable,
} from '../schema.js';

export type AlertRuleRow = AlertRulesTable;
export type ChannelRow = NotificationChannelsTable;
export type AlertRow = AlertsTable;
export type DeliveryRow = AlertDeliveriesTable;
export type OpenState = 'pending' | 'firing';

/** Ids per statement (stays under every database's bound-parameter limit). */
const BATCH = 500;

export function createAlertsRepository(db: Kysely<Database>) {
  return {
    // ---- rules ----
    async insertRule(row: AlertRuleRow): Promise<void> {
      await db.insertInto('alert_rules').values(row).execute();
    },
    async updateRule(
      id: string,
      fields: Partial<Omit<AlertRuleRow, 'id' | 'organization_id'>>,
    ): Promise<void> {
      await db.updateTable('alert_rules').set(fields).where('id', '=', id).execute();
    },
    async deleteRule(id: string): Promise<void> {
      await db.deleteFrom('alert_rules').where('id', '=', id).execute();
    },
    findRule(id: string): Promise<AlertRuleRow | undefined> {
      return db.selectFrom('alert_rules').selectAll().where('id', '=', id).executeTakeFirst();
    },
    listRules(organizationId: string): Promise<AlertRuleRow[]> {
      return db
        .selectFrom('alert_rules')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    listAllRules(): Promise<AlertRuleRow[]> {
      return db.selectFrom('alert_rules').selectAll().execute();
    },

    // ---- channels ----
    async insertChannel(row: ChannelRow): Promise<void> {
      await db.insertInto('notification_channels').values(row).execute();
    },
    async updateChannel(
      id: string,
      fields: { name: string; config: string; updated_at: number },
    ): Promise<void> {
      await db.updateTable('notification_channels').set(fields).where('id', '=', id).execute();
    },
    async deleteChannel(id: string): Promise<void> {
      await db.deleteFrom('notification_channels').where('id', '=', id).execute();
    },
    findChannel(id: string): Promise<ChannelRow | undefined> {
      return db.selectFrom('notification_channels').selectAll().where('id', '=', id).executeTakeFirst();
    },
    listChannels(organizationId: string): Promise<ChannelRow[]> {
      return db
        .selectFrom('notification_channels')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },

    // ---- alerts ----
    /** Opens an alert; false when (rule, host, container) already has an open one. */
    async openAlert(row: AlertRow): Promise<boolean> {
      const result = await db
        .insertInto('alerts')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    /** Moves an alert from one of `from` to a new state; false when it was not in `from` (someone else moved it). */
    async transition(
      id: string,
      from: readonly OpenState[],
      fields: Partial<Pick<AlertRow, 'state' | 'value' | 'fired_at' | 'resolved_at' | 'updated_at'>>,
    ): Promise<boolean> {
      const result = await db
        .updateTable('alerts')
        .set(fields)
        .where('id', '=', id)
        .where('state', 'in', [...from])
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    /** Forgets a pending alert whose condition stopped holding before it fired; false when it was not pending. */
    async discardPending(id: string): Promise<boolean> {
      const result = await db
        .deleteFrom('alerts')
        .where('id', '=', id)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
    findAlert(id: string): Promise<AlertRow | undefined> {
      return db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /** Open alerts of a host, optionally of some condition kinds only. */
    listOpenForHost(hostId: string, kinds?: readonly string[]): Promise<AlertRow[]> {
      let query = db
        .selectFrom('alerts')
        .selectAll()
        .where('host_id', '=', hostId)
        .where('state', '<>', 'resolved');
      if (kinds) query = query.where('kind', 'in', [...kinds]);
      return query.execute();
    },
    listOpenForRule(ruleId: string): Promise<AlertRow[]> {
      return db
        .selectFrom('alerts')
        .selectAll()
        .where('rule_id', '=', ruleId)
        .where('state', '<>', 'resolved')
        .execute();
    },
    async listOpenForRules(ruleIds: readonly string[]): Promise<AlertRow[]> {
      const rows: AlertRow[] = [];
      for (let i = 0; i < ruleIds.length; i += BATCH) {
        rows.push(
          ...(await db
            .selectFrom('alerts')
            .selectAll()
            .where('rule_id', 'in', ruleIds.slice(i, i + BATCH))
            .where('state', '<>', 'resolved')
            .execute()),
        );
      }
      return rows;
    },
    listAlerts(organizationId: string, states: readonly string[], limit: number): Promise<AlertRow[]> {
      return db
        .selectFrom('alerts')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('state', 'in', [...states])
        .orderBy('updated_at', 'desc')
        .orderBy('id')
        .limit(limit)
        .execute();
    },

    // ---- deliveries ----
    async insertDelivery(row: DeliveryRow): Promise<void> {
      await db.insertInto('alert_deliveries').values(row).execute();
    },
    /**
     * Leases up to `limit` due deliveries to `owner` until `leaseUntil`, skipping `busyChannels`. The lease
     * conditions are repeated on the update itself, so two instances never take the same row.
     */
    async claimDue(
      owner: string,
      now: number,
      leaseUntil: number,
      limit: number,
      busyChannels: readonly string[],
    ): Promise<DeliveryRow[]> {
      let due = db
        .selectFrom('alert_deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]));
      if (busyChannels.length > 0) due = due.where('channel_id', 'not in', [...busyChannels]);
      const ids = (await due.orderBy('next_attempt_at').limit(limit).execute()).map((r) => r.id);
      if (ids.length === 0) return [];
      return db
        .updateTable('alert_deliveries')
        .set({ lease_owner: owner, lease_until: leaseUntil })
        .where('id', 'in', ids)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .returningAll()
        .execute();
    },
    /** Records one attempt and the delivery's new state, if `owner` still holds its lease. */
    async recordAttempt(
      id: string,
      owner: string,
      attempt: {
        attempt: number;
        at: number;
        statusCode: number | null;
        error: string | null;
        durationMs: number;
      },
      next: Partial<Pick<DeliveryRow, 'status' | 'next_attempt_at' | 'delivered_at'>>,
    ): Promise<boolean> {
      const result = await db
        .updateTable('alert_deliveries')
        .set({
          ...next,
          attempts: attempt.attempt,
          last_status_code: attempt.statusCode,
          last_error: attempt.error,
          lease_owner: null,
          lease_until: null,
        })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await db
        .insertInto('alert_delivery_attempts')
        .values({
          delivery_id: id,
          attempt: attempt.attempt,
          at: attempt.at,
          status_code: attempt.statusCode,
          error: attempt.error,
          duration_ms: attempt.durationMs,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
      return true;
    },
    /** Gives a leased delivery back without an attempt. */
    async releaseDelivery(id: string, owner: string): Promise<void> {
      await db
        .updateTable('alert_deliveries')
        .set({ lease_owner: null, lease_until: null })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute();
    },
    findDelivery(id: string): Promise<DeliveryRow | undefined> {
      return db.selectFrom('alert_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    },
    listDeliveries(channelId: string, limit: number): Promise<DeliveryRow[]> {
      return db
        .selectFrom('alert_deliveries')
        .selectAll()
        .where('channel_id', '=', channelId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
    },
    async listAttempts(deliveryIds: readonly string[]) {
      if (deliveryIds.length === 0) return [];
      return db
        .selectFrom('alert_delivery_attempts')
        .selectAll()
        .where('delivery_id', 'in', [...deliveryIds])
        .orderBy('attempt', 'desc')
        .execute();
    },

    /** Open alerts whose rule no longer exists (deleted while an instance evaluated it). */
    listOpenWithoutRule(): Promise<AlertRow[]> {
      return db
        .selectFrom('alerts')
        .selectAll()
        .where('state', '<>', 'resolved')
        .where((eb) =>
          eb.not(
            eb.exists(
              eb.selectFrom('alert_rules').select('id').whereRef('alert_rules.id', '=', 'alerts.rule_id'),
            ),
          ),
        )
        .execute();
    },
    /** What the host_offline sweep needs of an organization's hosts (no JSON columns parsed). */
    listHostStates(
      organizationId: string,
    ): Promise<{ id: string; name: string; status: string; last_seen_at: number | null }[]> {
      return db
        .selectFrom('hosts')
        .select(['id', 'name', 'status', 'last_seen_at'])
        .where('organization_id', '=', organizationId)
        .execute();
    },
    async organizationName(id: string): Promise<string | undefined> {
      return (await db.selectFrom('organizations').select('name').where('id', '=', id).executeTakeFirst())
        ?.name;
    },

    /** Deletes resolved alerts and finished deliveries (with their attempts) older than `before`. */
    async pruneHistory(before: number): Promise<void> {
      await db
        .deleteFrom('alerts')
        .where('state', '=', 'resolved')
        .where('updated_at', '<', before)
        .execute();
      await db
        .deleteFrom('alert_deliveries')
        .where('status', 'in', ['delivered', 'failed'])
        .where('created_at', '<', before)
        .execute();
    },

    // ---- leases ----
    /** Takes or renews the lease `name` for `owner` until `until`; false while another owner holds it. */
    async acquireLease(name: string, owner: string, now: number, until: number): Promise<boolean> {
      await db
        .insertInto('alert_leases')
        .values({ name, owner, expires_at: until })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet({ owner, expires_at: until })
            .where((eb) =>
              eb.or([eb('alert_leases.owner', '=', owner), eb('alert_leases.expires_at', '<', now)]),
            ),
        )
        .execute();
      const row = await db
        .selectFrom('alert_leases')
        .select('owner')
        .where('name', '=', name)
        .executeTakeFirst();
      return row?.owner === owner;
    },
    async releaseLease(name: string, owner: string): Promise<void> {
      await db.deleteFrom('alert_leases').where('name', '=', name).where('owner', '=', owner).execute();
    },
  };
}
