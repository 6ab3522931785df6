//! The embedded SQLite backend.
//!
//! Writes go through one writer thread with **group commit** and a pipelined WAL flush (see
//! [`writer`]): callers are answered once their batch is on disk.
//! Reads run inline on the calling thread over its own read-only connection; WAL mode lets them
//! proceed while the writer commits.

mod access;
mod accounts;
mod bindings;
mod changes;
mod channels;
mod copy;
mod credentials;
mod invites;
mod media;
mod members;
mod messages;
mod notices;
mod outbox;
mod presence;
mod roles;
mod services;
mod timers;
mod users;
mod webhooks;
mod writer;

#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Weak};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use self::writer::{Completion, Job, Msg};
use super::StoreError;
use crate::store::finish_page;
use crate::time;

/// Migrations, applied in order once each; never edit one that has shipped.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../../migrations/sqlite/0001_foundation.sql")),
    (2, include_str!("../../../migrations/sqlite/0002_messaging.sql")),
    (3, include_str!("../../../migrations/sqlite/0003_outbox.sql")),
    (
        4,
        include_str!("../../../migrations/sqlite/0004_messages_by_arrival.sql"),
    ),
    (
        5,
        include_str!("../../../migrations/sqlite/0005_outbox_order_by_destination.sql"),
    ),
    (6, include_str!("../../../migrations/sqlite/0006_change_log.sql")),
    (7, include_str!("../../../migrations/sqlite/0007_change_detail.sql")),
    (8, include_str!("../../../migrations/sqlite/0008_presence.sql")),
    (9, include_str!("../../../migrations/sqlite/0009_media.sql")),
    (10, include_str!("../../../migrations/sqlite/0010_conversations.sql")),
    (
        11,
        include_str!("../../../migrations/sqlite/0011_conversation_timers.sql"),
    ),
    (
        12,
        include_str!("../../../migrations/sqlite/0012_messaging_bindings.sql"),
    ),
];

/// Page cache of the writer connection (KiB): the hot pages of every index stay in memory.
const WRITER_CACHE_KIB: i64 = 64 * 1024;

/// Memory-mapped I/O window (bytes) for every connection: reads of the database file are served
/// from the OS page cache without a copy.
const MMAP_BYTES: i64 = 1 << 30;

/// The SQLite fsync policy for commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: an acknowledged write survives a power cut (the default).
    #[default]
    Full,
    /// `synchronous=NORMAL`: survives a process crash; the last commits may be lost on power loss.
    Normal,
}

/// A SQLite database file with a group-committing writer and per-thread read connections.
pub struct SqliteStore {
    writer: std_mpsc::Sender<Msg>,
    /// Identifies this store's connections in each thread's [`READERS`].
    id: u64,
    /// Dropped with the store, which tells threads to close their read connections.
    alive: Arc<()>,
    path: std::path::PathBuf,
}

/// Source of [`SqliteStore::id`].
static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    ///
    /// # Errors
    /// When the file cannot be opened or a migration fails.
    pub fn open(path: &Path, durability: Durability) -> Result<Self, StoreError> {
        let conn = open_connection(path, false, durability)?;
        migrate(&conn)?;
        // The checkpointer does this work off the writer's path.
        conn.execute_batch(&format!(
            "pragma wal_autocheckpoint = 0; pragma cache_size = -{WRITER_CACHE_KIB};"
        ))
        .map_err(unavailable)?;
        let checkpoint_conn = open_connection(path, false, durability)?;
        checkpoint_conn
            .execute_batch("pragma wal_autocheckpoint = 0;")
            .map_err(unavailable)?;
        let tx = writer::start(path, conn, checkpoint_conn, durability).map_err(StoreError::other)?;
        Ok(Self {
            writer: tx,
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            alive: Arc::new(()),
            path: path.to_owned(),
        })
    }

    /// Runs `f` inside the next group commit and returns its result once the batch is durable.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.write_logged(move |conn, _| f(conn)).await
    }

    /// [`SqliteStore::write`] for a write that logs changes (see [`changes::ChangeLog`]): they
    /// commit with it, or are forgotten when it fails.
    async fn write_logged<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut changes::ChangeLog) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |conn, log| {
            let mark = log.len();
            let result = f(conn, log);
            let ok = result.is_ok();
            if !ok {
                log.truncate(mark);
            }
            let done: Completion = Box::new(move |commit| {
                let answer = match commit {
                    Ok(()) => result,
                    Err(e) => Err(StoreError::unavailable(e)),
                };
                let _ = tx.send(answer);
            });
            (ok, done)
        });
        self.writer
            .send(Msg::Job(job))
            .map_err(|_| StoreError::unavailable("writer stopped"))?;
        rx.await.map_err(|_| StoreError::unavailable("writer stopped"))?
    }

    /// Runs `f` on this thread's read connection to this database, opening it on first use.
    ///
    /// Reads run inline, without a hop to another thread: the queries are bounded (point
    /// lookups and pages of at most 1000 rows over an index), WAL readers never wait for the
    /// writer, and pages come from the shared memory map, so a read costs microseconds while a
    /// thread hand-off would cost more than the read itself.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError>,
    {
        let conn = READERS
            .with(|r| r.borrow_mut().take(self.id))
            .map_or_else(|| open_connection(&self.path, true, Durability::Full), Ok)?;
        let result = f(&conn);
        READERS.with(|r| r.borrow_mut().put(self.id, &self.alive, conn));
        result
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        let _ = self.writer.send(Msg::Stop);
    }
}

thread_local! {
    /// Each thread's read connections, one per open store.
    static READERS: RefCell<Readers> = RefCell::new(Readers::default());
}

/// Read connections of one thread, by store.
#[derive(Default)]
struct Readers(Vec<(u64, Weak<()>, Connection)>);

impl Readers {
    /// Takes the connection to store `id` (a nested read opens its own).
    fn take(&mut self, id: u64) -> Option<Connection> {
        let at = self.0.iter().position(|(i, _, _)| *i == id)?;
        Some(self.0.swap_remove(at).2)
    }

    /// Keeps `conn` for the next read, and closes connections of stores that are gone.
    fn put(&mut self, id: u64, alive: &Arc<()>, conn: Connection) {
        self.0.retain(|(_, store, _)| store.strong_count() > 0);
        self.0.push((id, Arc::downgrade(alive), conn));
    }
}

fn open_connection(path: &Path, read_only: bool, durability: Durability) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags).map_err(unavailable)?;
    let sync = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "pragma busy_timeout = 5000; pragma foreign_keys = on; pragma synchronous = {sync}; \
         pragma mmap_size = {MMAP_BYTES};"
    ))
    .map_err(unavailable)?;
    if !read_only {
        conn.pragma_update(None, "journal_mode", "wal").map_err(unavailable)?;
    }
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    migrate_to(conn, i64::MAX)
}

/// Applies the pending migrations up to version `last`.
fn migrate_to(conn: &Connection, last: i64) -> Result<(), StoreError> {
    conn.execute_batch(
        "create table if not exists schema_migrations (version integer primary key, applied_at text not null)",
    )
    .map_err(other)?;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v <= last) {
        let done: bool = conn
            .query_row(
                "select count(*) > 0 from schema_migrations where version = ?1",
                [version],
                |r| r.get(0),
            )
            .map_err(other)?;
        if done {
            continue;
        }
        conn.execute_batch(&format!(
            "begin immediate; {sql}; insert into schema_migrations (version, applied_at) values ({version}, '{}'); commit;",
            time::format(&time::now())
        ))
        .map_err(|e| {
            let _ = conn.execute_batch("rollback");
            StoreError::other_while(format!("migration {version}"), e)
        })?;
    }
    Ok(())
}

/// Maps an error that means "the database cannot be used right now".
fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::unavailable(e)
}

/// Maps any other SQLite error.
fn other(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::DatabaseBusy || f.code == rusqlite::ErrorCode::DatabaseLocked =>
        {
            StoreError::unavailable(e)
        }
        _ => StoreError::other(e),
    }
}

/// True when `e` is a UNIQUE constraint violation.
fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

/// Runs a query and decodes every row with `decode` (one of `store::row`'s decoders).
fn query_rows<T>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    decode: impl Fn(&rusqlite::Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut s = c.prepare_cached(sql).map_err(other)?;
    let mut rows = s.query(params).map_err(other)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(other)? {
        out.push(decode(r)?);
    }
    Ok(out)
}

/// Runs a query and decodes its first row, if any.
fn query_first<T>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    decode: impl Fn(&rusqlite::Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut s = c.prepare_cached(sql).map_err(other)?;
    let mut rows = s.query(params).map_err(other)?;
    match rows.next().map_err(other)? {
        Some(r) => decode(r).map(Some),
        None => Ok(None),
    }
}
