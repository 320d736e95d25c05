/**
 * @module store/repositories/locks — row locks that serialize the rules guarding one organization or host.
 * PostgreSQL: `SELECT … FOR UPDATE` on the row, held until the transaction ends. SQLite: nothing to do,
 * the transaction already holds the database's write lock (`BEGIN IMMEDIATE`).
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../migrations.js';
import type { Database } from '../schema.js';

export function createLocksRepository(db: Kysely<Database>, dialect: Dialect) {
  return {
    /** Locks the organization's row; false when it does not exist. */
    async organization(id: string): Promise<boolean> {
      let query = db.selectFrom('organizations').select('id').where('id', '=', id);
      if (dialect === 'postgres') query = query.forUpdate();
      return (await query.executeTakeFirst()) !== undefined;
    },
    /** Locks the host's row; false when it does not exist. */
    async host(id: string): Promise<boolean> {
      let query = db.selectFrom('hosts').select('id').where('id', '=', id);
      if (dialect === 'postgres') query = query.forUpdate();
      return (await query.executeTakeFirst()) !== undefined;
    },
    /** Locks the users table against a concurrent first-run setup (PostgreSQL: a transaction-scoped advisory lock). */
    async setup(): Promise<void> {
      if (dialect !== 'postgres') return;
      await db
        .selectNoFrom((eb) => eb.fn<number>('pg_advisory_xact_lock', [eb.val(0x686f7374)]).as('locked'))
        .execute();
    },
  };
}
