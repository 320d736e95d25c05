/** @module store/repositories/actions — action runs: their lifecycle, capped output and exit code. */
import { FINAL_ACTION_STATUSES, type ActionRecord, type ActionStatus } from '@hostwire/protocol';
import type { Kysely } from 'kysely';
import type { ActionsTable, Database } from '../schema.js';

/** An action as the domain sees it: the public record plus the audit row it completes. */
export interface ActionRow extends ActionRecord {
  auditId: number | null;
}

/** Every column but the retired `output`: no query of an action reads output from this table. */
const COLUMNS = [
  'id',
  'host_id',
  'organization_id',
  'user_id',
  'action',
  'params',
  'status',
  'exit_code',
  'error',
  'output_truncated',
  'created_at',
  'started_at',
  'finished_at',
  'audit_id',
] as const;
type ActionColumns = Pick<ActionsTable, (typeof COLUMNS)[number]>;

function toRecord(row: ActionColumns, output: string | undefined): ActionRow {
  return {
    id: row.id,
    hostId: row.host_id,
    organizationId: row.organization_id,
    userId: row.user_id,
    action: row.action,
    params: JSON.parse(row.params) as Record<string, unknown>,
    status: row.status as ActionStatus,
    exitCode: row.exit_code,
    error: row.error,
    ...(output === undefined ? {} : { output }),
    outputTruncated: row.output_truncated === 1,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    auditId: row.audit_id === null ? null : Number(row.audit_id),
  };
}

/** The public view of an action (no audit row id). */
export function publicAction(row: ActionRow): ActionRecord {
  const { auditId: _auditId, ...rest } = row;
  return rest;
}

export function createActionsRepository(db: Kysely<Database>) {
  return {
    async insert(a: {
      id: string;
      hostId: string;
      organizationId: string;
      userId: string | null;
      action: string;
      params: Record<string, unknown>;
      status: ActionStatus;
      error?: string | null;
      createdAt: number;
      auditId: number | null;
    }): Promise<void> {
      await db
        .insertInto('actions')
        .values({
          id: a.id,
          host_id: a.hostId,
          organization_id: a.organizationId,
          user_id: a.userId,
          action: a.action,
          params: JSON.stringify(a.params),
          status: a.status,
          exit_code: null,
          error: a.error ?? null,
          output: '',
          output_bytes: 0,
          output_chunks: 0,
          output_truncated: 0,
          audit_id: a.auditId,
          created_at: a.createdAt,
          started_at: null,
          finished_at: a.status === 'agent_offline' || a.status === 'rejected' ? a.createdAt : null,
        })
        .execute();
    },
    /** The action; with its output (the chunks in order) only when `withOutput`. */
    async findById(id: string, withOutput = true): Promise<ActionRow | undefined> {
      const row = await db.selectFrom('actions').select(COLUMNS).where('id', '=', id).executeTakeFirst();
      if (!row) return undefined;
      if (!withOutput) return toRecord(row, undefined);
      const chunks = await db
        .selectFrom('action_output')
        .select('data')
        .where('action_id', '=', id)
        .orderBy('seq')
        .execute();
      return toRecord(row, chunks.map((c) => c.data).join(''));
    },
    /** Newest first, without output. */
    async listByHost(hostId: string, limit: number): Promise<ActionRow[]> {
      const rows = await db
        .selectFrom('actions')
        .select(COLUMNS)
        .where('host_id', '=', hostId)
        .orderBy('created_at', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => toRecord(r, undefined));
    },
    /** Moves an action to `status` unless it already ended; returns false when it had ended. */
    async transition(
      id: string,
      status: ActionStatus,
      fields: {
        exitCode?: number | null;
        error?: string | null;
        startedAt?: number;
        finishedAt?: number;
      } = {},
    ): Promise<boolean> {
      const result = await db
        .updateTable('actions')
        .set({
          status,
          ...(fields.exitCode !== undefined ? { exit_code: fields.exitCode } : {}),
          ...(fields.error !== undefined ? { error: fields.error } : {}),
          ...(fields.startedAt !== undefined ? { started_at: fields.startedAt } : {}),
          ...(fields.finishedAt !== undefined ? { finished_at: fields.finishedAt } : {}),
        })
        .where('id', '=', id)
        .where('status', 'not in', FINAL_ACTION_STATUSES)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    /**
     * Appends one chunk of output (a new row, never a rewrite of what came before) up to `capBytes` in
     * total; returns false once the cap is reached. Chunks of one action arrive in order from its agent.
     */
    async appendOutput(id: string, chunk: string, capBytes: number): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom('actions')
          .select(['output_bytes', 'output_truncated', 'output_chunks'])
          .where('id', '=', id)
          .executeTakeFirst();
        if (!row || row.output_truncated === 1) return false;
        const room = capBytes - row.output_bytes;
        const bytes = Buffer.byteLength(chunk, 'utf8');
        const piece =
          bytes <= room ? chunk : Buffer.from(chunk, 'utf8').subarray(0, Math.max(0, room)).toString('utf8');
        const truncated = bytes > room;
        if (piece.length > 0) {
          await tx
            .insertInto('action_output')
            .values({ action_id: id, seq: row.output_chunks, data: piece })
            .execute();
        }
        await tx
          .updateTable('actions')
          .set((eb) => ({
            output_bytes: eb('output_bytes', '+', Buffer.byteLength(piece, 'utf8')),
            output_chunks: eb('output_chunks', '+', piece.length > 0 ? 1 : 0),
            output_truncated: truncated ? 1 : 0,
          }))
          .where('id', '=', id)
          .execute();
        return !truncated;
      });
    },
    async markTruncated(id: string): Promise<void> {
      await db.updateTable('actions').set({ output_truncated: 1 }).where('id', '=', id).execute();
    },
  };
}
