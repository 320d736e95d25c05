/** @module store/repositories/audit — the append-only audit log. */
import type { AuditEvent } from '@hostwire/protocol';
import type { Kysely } from 'kysely';
import { apiTokenIdOf } from '../../auth/principals.js';
import type { Database } from '../schema.js';

export interface AuditInput {
  organizationId: string | null;
  actorType: AuditEvent['actorType'];
  actorId: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  decision?: AuditEvent['decision'];
  details?: Record<string, unknown> | null;
  ip?: string | null;
}

/** Narrows an audit listing: who, what, which target (a host id for host and action events), when. */
export interface AuditFilter {
  before?: number | undefined;
  actorId?: string | undefined;
  action?: string | undefined;
  targetId?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
}

export function createAuditRepository(db: Kysely<Database>) {
  return {
    /**
     * Appends one event and returns its id. A user actor whose id is an API token's principal id is
     * recorded as that token (`api_token`, its id, and its name at that moment).
     */
    async record(event: AuditInput, now = Date.now()): Promise<number> {
      const tokenId = event.actorType === 'user' ? apiTokenIdOf(event.actorId) : undefined;
      const row = await db
        .insertInto('audit_events')
        .values({
          organization_id: event.organizationId,
          actor_type: tokenId === undefined ? event.actorType : 'api_token',
          actor_id: tokenId ?? event.actorId,
          actor_name:
            tokenId === undefined
              ? null
              : db.selectFrom('api_tokens').select('name').where('id', '=', tokenId),
          action: event.action,
          target_type: event.targetType ?? null,
          target_id: event.targetId ?? null,
          decision: event.decision ?? 'allowed',
          details: event.details ? JSON.stringify(event.details) : null,
          ip: event.ip ?? null,
          created_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(row.id);
    },
    /** Adds the outcome (e.g. an action's exit code) to the event that recorded the attempt. */
    async addDetails(id: number, details: Record<string, unknown>): Promise<void> {
      const row = await db
        .selectFrom('audit_events')
        .select('details')
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) return;
      const merged = {
        ...(row.details ? (JSON.parse(row.details) as Record<string, unknown>) : {}),
        ...details,
      };
      await db
        .updateTable('audit_events')
        .set({ details: JSON.stringify(merged) })
        .where('id', '=', id)
        .execute();
    },
    /** Newest first; every filter given narrows the list (`to` is inclusive); `before` pages by id. */
    async list(organizationId: string, options: AuditFilter & { limit: number }): Promise<AuditEvent[]> {
      let query = db.selectFrom('audit_events').selectAll().where('organization_id', '=', organizationId);
      if (options.before !== undefined) query = query.where('id', '<', options.before);
      if (options.actorId !== undefined) query = query.where('actor_id', '=', options.actorId);
      if (options.action !== undefined) query = query.where('action', '=', options.action);
      if (options.targetId !== undefined) query = query.where('target_id', '=', options.targetId);
      if (options.from !== undefined) query = query.where('created_at', '>=', options.from);
      if (options.to !== undefined) query = query.where('created_at', '<=', options.to);
      const rows = await query.orderBy('id', 'desc').limit(options.limit).execute();
      return rows.map((r) => ({
        id: Number(r.id),
        organizationId: r.organization_id,
        actorType: r.actor_type as AuditEvent['actorType'],
        actorId: r.actor_id,
        actorName: r.actor_name,
        action: r.action,
        targetType: r.target_type,
        targetId: r.target_id,
        decision: r.decision as AuditEvent['decision'],
        details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
        ip: r.ip,
        createdAt: r.created_at,
      }));
    },
  };
}
