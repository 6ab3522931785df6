//! The embedded SQLite backend.
//!
//! One writer thread owns the only writing connection and applies **group commit**: it takes
//! every write that is waiting, runs each inside its own savepoint in one `BEGIN IMMEDIATE`
//! transaction, commits once (one fsync for the whole batch), and only then answers the
//! callers. A failing write rolls back to its savepoint and does not disturb its batch-mates.
//! Reads run on a small pool of read-only connections; WAL mode lets them proceed while the
//! writer commits.

mod accounts;
mod bindings;
mod channels;
mod copy;
mod credentials;
mod invites;
mod members;
mod messages;
mod notices;
mod outbox;
mod roles;
mod services;
mod users;
mod webhooks;

use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{Semaphore, oneshot};

use super::{Keyed, PageReq, StoreError};
use crate::time::{self, Timestamp};

/// Migrations, applied in order once each; never edit one that has shipped.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../../migrations/sqlite/0001_foundation.sql")),
    (2, include_str!("../../../migrations/sqlite/0002_messaging.sql")),
    (3, include_str!("../../../migrations/sqlite/0003_outbox.sql")),
];

/// How many writes at most share one commit.
const MAX_BATCH: usize = 512;

/// How many read connections may exist; reads beyond wait for one (connections are reused, so
/// no request pays for opening one once the pool is warm).
const MAX_READERS: usize = 32;

/// After the first write of a batch arrives, the writer keeps collecting while writes keep
/// coming at least this often...
const LINGER_GAP: Duration = Duration::from_micros(200);
/// ...but for no longer than this in total. Both are small next to one fsync (milliseconds),
/// and they let a burst of clients share one commit instead of alternating big and tiny ones.
const LINGER_MAX: Duration = Duration::from_micros(1000);

/// The SQLite fsync policy for commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: an acknowledged write survives a power cut (the default).
    #[default]
    Full,
    /// `synchronous=NORMAL`: survives a process crash; the last commits may be lost on power loss.
    Normal,
}

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

/// A SQLite database file with a group-committing writer and a pool of readers.
pub struct SqliteStore {
    writer: std_mpsc::Sender<Job>,
    readers: Arc<Mutex<Vec<Connection>>>,
    read_permits: Arc<Semaphore>,
    path: std::path::PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    ///
    /// # Errors
    /// When the file cannot be opened or a migration fails.
    pub fn open(path: &Path, durability: Durability) -> Result<Self, StoreError> {
        let conn = open_connection(path, false, durability)?;
        migrate(&conn)?;
        let (tx, rx) = std_mpsc::channel();
        std::thread::Builder::new()
            .name("banter-sqlite-writer".into())
            .spawn(move || writer_loop(&conn, &rx))
            .map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(Self {
            writer: tx,
            readers: Arc::new(Mutex::new(Vec::new())),
            read_permits: Arc::new(Semaphore::new(MAX_READERS)),
            path: path.to_owned(),
        })
    }

    /// Runs `f` inside the next group commit and returns its result once the batch is durable.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let ok = result.is_ok();
            let done: Completion = Box::new(move |commit| {
                let answer = match commit {
                    Ok(()) => result,
                    Err(e) => Err(StoreError::Unavailable(e)),
                };
                let _ = tx.send(answer);
            });
            (ok, done)
        });
        self.writer
            .send(job)
            .map_err(|_| StoreError::Unavailable("writer stopped".into()))?;
        rx.await.map_err(|_| StoreError::Unavailable("writer stopped".into()))?
    }

    /// Runs `f` on a pooled read connection on the blocking thread pool.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = Arc::clone(&self.readers);
        let path = self.path.clone();
        let permit = Arc::clone(&self.read_permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("store closed".into()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let pooled = pool.lock().ok().and_then(|mut idle| idle.pop());
            let conn = match pooled {
                Some(c) => c,
                None => open_connection(&path, true, Durability::Full)?,
            };
            let result = f(&conn);
            if let Ok(mut idle) = pool.lock()
                && idle.len() < MAX_READERS
            {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?
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
        "pragma busy_timeout = 5000; pragma foreign_keys = on; pragma synchronous = {sync};"
    ))
    .map_err(unavailable)?;
    if !read_only {
        conn.pragma_update(None, "journal_mode", "wal").map_err(unavailable)?;
    }
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "create table if not exists schema_migrations (version integer primary key, applied_at text not null)",
    )
    .map_err(other)?;
    for (version, sql) in MIGRATIONS {
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
            StoreError::Other(format!("migration {version}: {e}"))
        })?;
    }
    Ok(())
}

fn writer_loop(conn: &Connection, rx: &std_mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        let deadline = Instant::now() + LINGER_MAX;
        while batch.len() < MAX_BATCH {
            let wait = deadline.saturating_duration_since(Instant::now()).min(LINGER_GAP);
            match rx.recv_timeout(wait) {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut done: Vec<Completion> = Vec::with_capacity(batch.len());
        let commit = (|| -> Result<(), String> {
            conn.execute_batch("begin immediate").map_err(|e| e.to_string())?;
            for job in batch.drain(..) {
                conn.execute_batch("savepoint job").map_err(|e| e.to_string())?;
                let (ok, completion) = job(conn);
                if !ok {
                    conn.execute_batch("rollback to job").map_err(|e| e.to_string())?;
                }
                conn.execute_batch("release job").map_err(|e| e.to_string())?;
                done.push(completion);
            }
            conn.execute_batch("commit").map_err(|e| e.to_string())
        })();
        if commit.is_err() {
            let _ = conn.execute_batch("rollback");
            // Jobs never run (after a mid-batch failure) are dropped: their callers see the
            // channel close and report the store unavailable.
            batch.clear();
        }
        for completion in done {
            completion(commit.clone());
        }
    }
}

/// Maps an error that means "the database cannot be used right now".
fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Maps any other SQLite error.
fn other(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::DatabaseBusy || f.code == rusqlite::ErrorCode::DatabaseLocked =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Other(e.to_string()),
    }
}

/// True when `e` is a UNIQUE constraint violation.
fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

/// Reads a stored timestamp column.
fn ts(s: &str) -> Timestamp {
    time::parse(s).unwrap_or_default()
}

/// The keyset part of a list query over column `key`: returns the SQL tail (with `?2`, `?3` as
/// bound key and limit after the caller's `?1` scope) and whether rows come back reversed.
fn page_clause(key: &str, page: &PageReq) -> (String, i64, i64, bool) {
    let limit = i64::from(page.limit) + 1;
    // (comparison, bound, order, reversed)
    let (cmp, bound, order, reversed) = match (page.desc, page.after, page.before) {
        (false, _, Some(b)) => ("<", b, "desc", true),
        (false, a, None) => (">", a.unwrap_or(i64::MIN), "asc", false),
        (true, _, Some(b)) => (">", b, "asc", true),
        (true, a, None) => ("<", a.unwrap_or(i64::MAX), "desc", false),
    };
    (
        format!("{key} {cmp} ?2 order by {key} {order} limit ?3"),
        bound,
        limit,
        reversed,
    )
}

/// Finishes a page read: puts rows back into list order.
fn finish_page<T>(mut rows: Vec<Keyed<T>>, reversed: bool) -> Vec<Keyed<T>> {
    if reversed {
        rows.reverse();
    }
    rows
}
