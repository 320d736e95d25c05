/** @module outbox/database — opens the agent's SQLite state file (WAL) and creates its tables. */
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type StateDatabase = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value NOT NULL);
CREATE TABLE IF NOT EXISTS samples (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS commands (
  kind TEXT NOT NULL,
  action_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (kind, action_id)
);
CREATE TABLE IF NOT EXISTS pending_frames (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  action_id TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`;

/** Opens (creating if needed) `<stateDir>/agent.db` in WAL mode; the directory is created with mode 0700. */
export function openStateDatabase(stateDir: string): StateDatabase {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, 'agent.db');
  const db = new Database(file);
  // Results and command ids are not secrets, but nothing here is anyone else's business either.
  chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash (only an OS crash can lose the last transactions).
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 2000');
  db.exec(SCHEMA);
  return db;
}
