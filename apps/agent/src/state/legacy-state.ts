/**
 * @module state/legacy-state — takes over the previous release's SQLite state file (`agent.db`): its
 * unacknowledged samples, seq counter, host id, command ids and undelivered action results are
 * written to the plain-file state, then the file is renamed to `agent.db.imported`.
 *
 * No native addon is needed for this: the executable (Bun) reads it with the runtime's own
 * `bun:sqlite`; the npm package under Node.js uses `better-sqlite3`, an optional dependency of the
 * package that is only loaded here. The staging directories make the import all-or-nothing: `outbox/`
 * appears last, and its presence means the import completed.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { AgentExitError } from '../errors.js';
import type { Logger } from '../log.js';
import { RecordAppender, encodeRecord, ensureDir, writeFileAtomic } from '../outbox/record-file.js';
import { writeStateMeta } from './state-dir.js';

interface LegacyDatabase {
  all(sql: string): Record<string, unknown>[];
  close(): void;
}

async function openLegacyDatabase(file: string): Promise<LegacyDatabase> {
  if (process.versions.bun !== undefined) {
    const { Database } = await import('bun:sqlite');
    const db = new Database(file);
    return { all: (sql) => db.query(sql).all(), close: () => db.close() };
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file);
  return { all: (sql) => db.prepare(sql).all() as Record<string, unknown>[], close: () => db.close() };
}

const num = (value: unknown): number => Number(value ?? 0);
const str = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

/** Imports `<stateDir>/agent.db` if present; returns how many samples were taken over. */
export async function importLegacyState(stateDir: string, log: Logger): Promise<number> {
  const legacy = path.join(stateDir, 'agent.db');
  if (!existsSync(legacy)) return 0;
  const outboxDir = path.join(stateDir, 'outbox');
  let imported = 0;
  if (!existsSync(outboxDir)) {
    let db: LegacyDatabase;
    try {
      db = await openLegacyDatabase(legacy);
    } catch (error) {
      throw new AgentExitError(
        'STATE_DIR',
        `Cannot read the previous release's state ${legacy} (${(error as Error).message}). Install the optional dependency better-sqlite3, or run the hostwire-agent executable once, to take it over.`,
        { cause: error },
      );
    }
    try {
      const meta = new Map(db.all('SELECT key, value FROM meta').map((r) => [str(r.key), r.value]));
      const samples = db.all('SELECT seq, ts, body FROM samples ORDER BY seq');
      const commands = db.all('SELECT kind, action_id, received_at, expires_at FROM commands');
      const frames = db.all('SELECT id, action_id, body FROM pending_frames ORDER BY id');
      const lastSeq = Math.max(num(meta.get('last_seq')), ...samples.map((s) => num(s.seq)), 0);

      const staging = `${outboxDir}.import`;
      rmSync(staging, { recursive: true, force: true });
      ensureDir(staging);
      const firstSeq = samples.length > 0 ? num(samples[0]?.seq) : lastSeq + 1;
      const segment = new RecordAppender(path.join(staging, `${String(firstSeq).padStart(16, '0')}.seg`), 0);
      for (const sample of samples) {
        const body = str(sample.body);
        const payload = Buffer.allocUnsafe(16 + Buffer.byteLength(body));
        payload.writeDoubleLE(num(sample.seq), 0);
        payload.writeDoubleLE(num(sample.ts), 8);
        payload.write(body, 16);
        segment.append(payload);
      }
      segment.sync();
      segment.close();
      const highest = samples.length > 0 ? num(samples[samples.length - 1]?.seq) : lastSeq;
      if (highest < lastSeq) {
        // Seqs past the last stored sample were sent and acked: an empty newest segment keeps the counter.
        new RecordAppender(path.join(staging, `${String(lastSeq + 1).padStart(16, '0')}.seg`), 0).close();
      }

      const commandRecords = commands.map((c) =>
        encodeRecord(
          Buffer.from(
            JSON.stringify({
              k: str(c.kind),
              a: str(c.action_id),
              r: num(c.received_at),
              e: num(c.expires_at),
            }),
          ),
        ),
      );
      writeFileAtomic(path.join(stateDir, 'commands.log'), Buffer.concat(commandRecords));
      const results = path.join(stateDir, 'results');
      const resultsStaging = `${results}.import`;
      rmSync(resultsStaging, { recursive: true, force: true });
      ensureDir(resultsStaging);
      for (const frame of frames) {
        writeFileAtomic(
          path.join(resultsStaging, `${String(num(frame.id)).padStart(12, '0')}.json`),
          JSON.stringify({ actionId: str(frame.action_id), body: str(frame.body) }),
        );
      }
      rmSync(results, { recursive: true, force: true });
      renameSync(resultsStaging, results);
      const hostId = meta.get('host_id');
      if (typeof hostId === 'string') writeStateMeta(stateDir, { hostId });
      renameSync(staging, outboxDir);
      imported = samples.length;
      log.info(
        `took over the previous release's state: ${samples.length} samples (last seq ${lastSeq}), ${commands.length} command ids, ${frames.length} undelivered results`,
      );
    } finally {
      db.close();
    }
  }
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(legacy + suffix)) renameSync(legacy + suffix, `${legacy}.imported${suffix}`);
  }
  return imported;
}
