/**
 * @module test-support/raw-database — a second, raw connection to a test server's database, for tests that
 * must put a row in a state no route produces (an expired token, a session about to end). The server's own
 * store hands out no query builder.
 */
import { openDatabase } from '../store/database.js';
import type { TestServer } from './start-test-server.js';

export async function withRawDatabase<T>(
  server: Pick<TestServer, 'ctx'>,
  fn: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>,
): Promise<T> {
  const database = await openDatabase(server.ctx.config.database);
  try {
    return await fn(database.db);
  } finally {
    await database.close();
  }
}
