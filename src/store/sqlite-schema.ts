import type Database from 'better-sqlite3';

/**
 * Schema migrations, applied in order inside one transaction at open. PRAGMA user_version
 * records how far a file has come, so an older file is upgraded in place.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE accounts (
     nick_key    TEXT PRIMARY KEY,
     nick        TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at  INTEGER NOT NULL
   );
   CREATE TABLE letters (
     seq           INTEGER PRIMARY KEY AUTOINCREMENT,
     id            TEXT NOT NULL,
     sender_key    TEXT NOT NULL,
     sender        TEXT NOT NULL,
     recipient_key TEXT NOT NULL,
     recipient     TEXT NOT NULL,
     text          TEXT NOT NULL,
     ts            INTEGER NOT NULL,
     UNIQUE (sender_key, id)
   );
   CREATE INDEX letters_by_recipient ON letters (recipient_key, seq);
   CREATE INDEX letters_by_recipient_id ON letters (recipient_key, id);
   CREATE INDEX letters_by_time ON letters (ts);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw Object.assign(
      new Error(`the store was written by a newer rocket (schema ${current} > ${SCHEMA_VERSION})`),
      {
        code: 'ROCKET_SCHEMA_NEWER',
      },
    );
  }
  db.transaction(() => {
    for (let version = current; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
