//! The PostgreSQL backend, for several nodes sharing one database.
//!
//! Every store method is one transaction on a pooled connection (deadpool). PostgreSQL runs at
//! `read committed`; where a method reads a counter and then writes it, it first locks the
//! parent row (the channel, then the user), so limits, duplicates, message indexes and counters
//! stay exact however many nodes write at once. Serialization failures and deadlocks abort a
//! transaction as a whole; such a transaction is retried a few times before giving up.
//!
//! The schema mirrors the SQLite one table for table (`migrations/postgres`, same file names);
//! timestamps are stored as text in the wire format, so both backends read and compare them alike.

mod access;
mod accounts;
mod appender;
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

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime, Transaction,
};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use super::StoreError;
use crate::store::finish_page;
use crate::time;

/// Migrations, applied in order once each; never edit one that has shipped.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../../migrations/postgres/0001_foundation.sql")),
    (2, include_str!("../../../migrations/postgres/0002_messaging.sql")),
    (3, include_str!("../../../migrations/postgres/0003_outbox.sql")),
    (
        4,
        include_str!("../../../migrations/postgres/0004_messages_by_arrival.sql"),
    ),
    (
        5,
        include_str!("../../../migrations/postgres/0005_outbox_order_by_destination.sql"),
    ),
    (6, include_str!("../../../migrations/postgres/0006_change_log.sql")),
    (7, include_str!("../../../migrations/postgres/0007_change_detail.sql")),
    (8, include_str!("../../../migrations/postgres/0008_presence.sql")),
    (9, include_str!("../../../migrations/postgres/0009_media.sql")),
    (10, include_str!("../../../migrations/postgres/0010_conversations.sql")),
    (
        11,
        include_str!("../../../migrations/postgres/0011_conversation_timers.sql"),
    ),
    (
        12,
        include_str!("../../../migrations/postgres/0012_messaging_bindings.sql"),
    ),
];

/// Key of the transaction-level advisory lock that serialises migrations across nodes
/// (`b"banter.m"` read as a big-endian integer).
const MIGRATION_LOCK: i64 = 0x6261_6e74_6572_2e6d;

/// Attempts of one transaction when PostgreSQL aborts it for a serialization failure or a
/// deadlock; the losers of such a race usually succeed on the next try.
const MAX_ATTEMPTS: u32 = 5;

/// A database error, or an outcome a transaction body decided on.
pub(super) enum Fail {
    /// An error reported by PostgreSQL or the driver; some are retried.
    Pg(tokio_postgres::Error),
    /// A store error decided by the body (for example a named conflict).
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Pg(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        pg_error(e)
    }
}

impl From<Fail> for StoreError {
    fn from(f: Fail) -> Self {
        match f {
            Fail::Pg(e) => pg_error(e),
            Fail::Store(e) => e,
        }
    }
}

/// The future a transaction body returns.
pub(super) type Body<'a, T> = Pin<Box<dyn Future<Output = Result<T, Fail>> + Send + 'a>>;

/// A PostgreSQL database behind a connection pool.
pub struct PgStore {
    pool: Pool,
    /// Notices from every node (see `notices.rs`).
    notices: tokio::sync::broadcast::Sender<String>,
    /// Group commit of message appends (see `appender.rs`); `None` inside the batcher itself.
    appender: Option<appender::Appender>,
}

impl PgStore {
    /// Connects to `url` (`postgres://…` or `postgresql://…`) with up to `pool_size`
    /// connections, each with the given `statement_timeout`, and applies pending migrations.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database cannot be reached, [`StoreError::Other`]
    /// for a malformed URL or a failing migration.
    pub async fn open(url: &str, pool_size: usize, statement_timeout: Duration) -> Result<Self, StoreError> {
        let mut config =
            tokio_postgres::Config::from_str(url).map_err(|e| StoreError::other_while("invalid PostgreSQL URL", e))?;
        let timeout_ms = statement_timeout.as_millis();
        let options = match config.get_options() {
            Some(given) if !given.is_empty() => format!("{given} -c statement_timeout={timeout_ms}"),
            _ => format!("-c statement_timeout={timeout_ms}"),
        };
        config.options(&options);
        if config.get_application_name().is_none() {
            config.application_name("banter");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let (notices, _) = tokio::sync::broadcast::channel(crate::events::CAPACITY);
        notices::spawn_listener(config.clone(), notices.clone());
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        // Waiting for a connection longer than a statement may run means the database is
        // overloaded or gone: callers get `Unavailable` rather than queueing forever.
        let wait = statement_timeout.max(Duration::from_secs(1));
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(wait))
            .create_timeout(Some(Duration::from_secs(10)))
            .recycle_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(StoreError::other)?;
        let mut store = Self {
            pool,
            notices,
            appender: None,
        };
        store.migrate().await?;
        store.appender = Some(appender::Appender::spawn(Self {
            pool: store.pool.clone(),
            notices: store.notices.clone(),
            appender: None,
        }));
        Ok(store)
    }

    /// A pooled connection.
    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => pg_error(e),
            other => StoreError::unavailable(other),
        })
    }

    /// Applies each pending migration in its own transaction. Each transaction first takes an
    /// advisory lock, so nodes starting together apply every migration exactly once.
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        for (version, sql) in MIGRATIONS {
            let t = client.transaction().await.map_err(pg_error)?;
            let applied = async {
                t.execute("select pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
                t.batch_execute(
                    "create table if not exists schema_migrations (version bigint primary key, applied_at text not null)",
                )
                .await?;
                let done = t
                    .query_opt("select 1 from schema_migrations where version = $1", &[version])
                    .await?
                    .is_some();
                if !done {
                    t.batch_execute(sql).await?;
                    t.execute(
                        "insert into schema_migrations (version, applied_at) values ($1, $2)",
                        &[version, &time::format(&time::now())],
                    )
                    .await?;
                }
                Ok::<(), tokio_postgres::Error>(())
            }
            .await;
            applied.map_err(|source| {
                StoreError::other(MigrationFailed {
                    version: *version,
                    source,
                })
            })?;
            t.commit().await.map_err(pg_error)?;
        }
        Ok(())
    }

    /// Runs `body` in one transaction and commits it, retrying the whole transaction when
    /// PostgreSQL aborted it for a serialization failure or a deadlock.
    pub(super) async fn write<A, T, F>(&self, args: &A, body: F) -> Result<T, StoreError>
    where
        A: Sync + ?Sized,
        T: Send,
        F: for<'a> Fn(&'a Transaction<'a>, &'a A) -> Body<'a, T> + Send + Sync,
    {
        let mut attempt = 1;
        loop {
            let mut client = self.client().await?;
            let outcome = async {
                let t = client.transaction().await?;
                let value = body(&t, args).await?;
                t.commit().await?;
                Ok::<T, Fail>(value)
            }
            .await;
            match outcome {
                Err(Fail::Pg(e)) if is_retryable(&e) && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(attempt, error = %describe(&e), "retrying transaction");
                    let jitter: u64 = rand::random_range(0..10);
                    tokio::time::sleep(Duration::from_millis(5 * (1 << attempt) + jitter)).await;
                    attempt += 1;
                }
                other => return other.map_err(StoreError::from),
            }
        }
    }

    /// Runs one read statement on a pooled connection.
    pub(super) async fn read(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        let client = self.client().await?;
        query(&client, sql, params).await.map_err(pg_error)
    }
}

/// Prepares `sql` (cached per connection) and returns its rows.
pub(super) async fn query<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    c.query(&statement, params).await
}

/// Prepares `sql` (cached per connection) and returns at most one row.
pub(super) async fn query_opt<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    c.query_opt(&statement, params).await
}

/// Prepares `sql` (cached per connection), runs it and returns the number of rows it changed.
pub(super) async fn execute<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    c.execute(&statement, params).await
}

/// Maps each row with `f`, stopping at the first column that cannot be read.
pub(super) fn map_rows<T>(rows: &[Row], f: impl Fn(&Row) -> Result<T, StoreError>) -> Result<Vec<T>, StoreError> {
    rows.iter().map(f).collect()
}

/// True when `e` means the transaction lost a race and may simply be run again.
fn is_retryable(e: &tokio_postgres::Error) -> bool {
    matches!(e.code(), Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// True when `e` is a unique violation (SQLSTATE 23505).
pub(super) fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// Turns a unique violation into the named conflict; passes anything else on.
pub(super) fn conflict(e: tokio_postgres::Error, name: &'static str) -> Fail {
    if is_unique_violation(&e) {
        Fail::Store(StoreError::Conflict(name))
    } else {
        Fail::Pg(e)
    }
}

/// The error text for logs: the server's message and SQLSTATE when there is one.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

/// Classifies a driver error: lost connections, shutdowns, overload and timeouts (and races
/// still lost after every retry) are `Unavailable`, worth a retry by the client.
fn pg_error(e: tokio_postgres::Error) -> StoreError {
    if is_connection_failure(&e) || is_retryable(&e) {
        StoreError::unavailable(PgError(e))
    } else {
        StoreError::other(PgError(e))
    }
}

/// A driver error that displays the server's message and SQLSTATE (the driver's own text is
/// only "db error") and keeps the driver error as its source.
#[derive(Debug)]
struct PgError(tokio_postgres::Error);

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&describe(&self.0))
    }
}

impl std::error::Error for PgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// A migration that PostgreSQL refused.
#[derive(Debug, thiserror::Error)]
#[error("migration {version}: {}", describe(source))]
struct MigrationFailed {
    version: i64,
    #[source]
    source: tokio_postgres::Error,
}

/// True when `e` says the database cannot be used right now rather than that a query was bad.
fn is_connection_failure(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        let code = code.code();
        // 08: connection exception, 53: insufficient resources, 57P0x: shutdown / starting up,
        // 57014: cancelled (the statement timeout).
        return code.starts_with("08") || code.starts_with("53") || code.starts_with("57P0") || code == "57014";
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    let text = e.to_string();
    text.starts_with("error connecting") || text.starts_with("timeout") || text.starts_with("error communicating")
}

#[cfg(test)]
mod retry_tests;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::ffi::OsString;
    use std::path::Path;

    /// Both backends must have the same migration file names (hence the same versions and order).
    #[test]
    fn migration_sets_match() {
        let names = |dir: &str| -> BTreeSet<OsString> {
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
                .expect("migration dir exists")
                .map(|entry| entry.expect("readable dir entry").file_name())
                .collect()
        };
        let sqlite = names("migrations/sqlite");
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names("migrations/postgres"));
    }

    /// Every migration file is embedded under the number its name starts with, in file-name
    /// order (a number may be missing while its migration lives on another branch).
    #[test]
    fn every_migration_file_is_embedded() {
        let mut numbers: Vec<i64> =
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres"))
                .expect("migration dir exists")
                .map(|e| {
                    let name = e.expect("entry").file_name().to_string_lossy().into_owned();
                    name.get(..4)
                        .and_then(|n| n.parse().ok())
                        .expect("a numbered file name")
                })
                .collect();
        numbers.sort_unstable();
        let versions: Vec<i64> = super::MIGRATIONS.iter().map(|(v, _)| *v).collect();
        assert_eq!(versions, numbers);
    }
}
