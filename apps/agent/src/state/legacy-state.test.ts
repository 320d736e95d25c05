// The previous release's SQLite state (agent.db) taken over under Node.js (better-sqlite3): samples
// with their seqs, the seq counter, the host id, command ids and undelivered results; then renamed.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { CommandLedger } from '../outbox/command-ledger.js';
import { MetricsOutbox } from '../outbox/metrics-outbox.js';
import { createTempDir } from '../test-support/fixtures.js';
import { importLegacyState } from './legacy-state.js';
import { readStateMeta } from './state-dir.js';

// The schema the previous release created (outbox/database.ts before the plain-file state).
const OLD_SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);
CREATE TABLE samples (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE commands (kind TEXT NOT NULL, action_id TEXT NOT NULL, received_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, PRIMARY KEY (kind, action_id));
CREATE TABLE pending_frames (id INTEGER PRIMARY KEY AUTOINCREMENT, action_id TEXT NOT NULL,
  body TEXT NOT NULL, created_at INTEGER NOT NULL);`;

describe('importLegacyState', () => {
  let tmp: Awaited<ReturnType<typeof createTempDir>>;
  beforeEach(async () => {
    tmp = await createTempDir();
  });
  afterEach(async () => {
    await tmp.remove();
  });

  function oldState(samples: number[], lastSeq: number): void {
    mkdirSync(tmp.dir, { recursive: true });
    const db = new Database(path.join(tmp.dir, 'agent.db'));
    db.pragma('journal_mode = WAL');
    db.exec(OLD_SCHEMA);
    const now = Date.now();
    for (const seq of samples)
      db.prepare('INSERT INTO samples VALUES (?, ?, ?)').run(seq, now, JSON.stringify({ seq, ts: now }));
    db.prepare("INSERT INTO meta VALUES ('last_seq', ?), ('host_id', 'host_old')").run(lastSeq);
    db.prepare("INSERT INTO commands VALUES ('run', 'act_1', ?, ?)").run(now, now + 60_000);
    db.prepare("INSERT INTO pending_frames (action_id, body, created_at) VALUES ('act_1', ?, ?)").run(
      '{"type":"action.result","actionId":"act_1","id":"result:act_1"}',
      now,
    );
    // Left open on purpose: WAL content not yet checkpointed must be taken over as well.
    db.close();
  }

  it('takes over samples, counter, host id, command ids and results, once', async () => {
    oldState([3, 4, 7], 9);
    expect(await importLegacyState(tmp.dir, silentLogger)).toBe(3);
    expect(existsSync(path.join(tmp.dir, 'agent.db'))).toBe(false);
    expect(existsSync(path.join(tmp.dir, 'agent.db.imported'))).toBe(true);
    const outbox = new MetricsOutbox(path.join(tmp.dir, 'outbox'), { maxSamples: 100, maxAgeMs: 3600_000 });
    expect(outbox.readAfter(0, 10).map((row) => row.seq)).toEqual([3, 4, 7]);
    expect(JSON.parse(outbox.readAfter(6, 1)[0]?.body ?? '{}')).toMatchObject({ seq: 7 });
    // The counter continues past the old last_seq (9), not past the highest stored sample (7).
    expect(outbox.append((seq) => ({ seq, ts: Date.now() }) as never).seq).toBe(10);
    outbox.close();
    expect(readStateMeta(tmp.dir).hostId).toBe('host_old');
    const ledger = new CommandLedger(tmp.dir);
    expect(ledger.remember('run', 'act_1', Date.now() + 60_000)).toBe(false);
    expect(ledger.pendingFrames()).toEqual([expect.objectContaining({ actionId: 'act_1' })]);
    ledger.close();
    expect(await importLegacyState(tmp.dir, silentLogger)).toBe(0);
  });

  it('keeps the counter of an old state whose queue was empty', async () => {
    oldState([], 41);
    await importLegacyState(tmp.dir, silentLogger);
    const outbox = new MetricsOutbox(path.join(tmp.dir, 'outbox'), { maxSamples: 100, maxAgeMs: 3600_000 });
    expect(outbox.pending).toBe(0);
    expect(outbox.append((seq) => ({ seq, ts: Date.now() }) as never).seq).toBe(42);
    outbox.close();
  });
});
