//! `banter copy`: moves every row from one database to another (SQLite ↔ PostgreSQL, or between
//! two databases of the same kind), then compares row counts.
//!
//! Tables are copied parents first ([`TABLES`]), each in keyset order in batches, so memory stays
//! bounded however large the tables are. Inserts skip rows whose unique key is already there,
//! which makes the copy idempotent and resumable: running it again copies only what is missing.
//! `seq` values are kept when the destination table is empty (or holds exactly an earlier,
//! interrupted copy); otherwise new rows get fresh keys in the source's order.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::dburl::DatabaseUrl;
use crate::store::StoreError;
use crate::store::copy::{CopyRow, TABLES, Table, TableCopy, TableKey};
use crate::store::postgres::PgStore;
use crate::store::sqlite::{Durability, SqliteStore};

/// Rows per batch unless told otherwise.
pub const DEFAULT_BATCH: u32 = 1000;

/// The counts of one table after a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    /// The table's name.
    pub table: &'static str,
    /// Rows in the source.
    pub source: u64,
    /// Rows in the destination after the copy.
    pub target: u64,
    /// Rows this run inserted.
    pub inserted: u64,
    /// Whether the rows kept their `seq` values.
    pub kept_seq: bool,
}

impl TableReport {
    /// Both sides hold the same number of rows.
    pub fn ok(&self) -> bool {
        self.source == self.target
    }
}

/// What a copy did, table by table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// One entry per table, in copy order.
    pub tables: Vec<TableReport>,
    /// The source's auth epoch.
    pub source_epoch: i64,
    /// The destination's auth epoch after the copy (at least the source's).
    pub target_epoch: i64,
}

impl CopyReport {
    /// Every table matches and the destination's auth epoch is not behind.
    pub fn ok(&self) -> bool {
        self.tables.iter().all(TableReport::ok) && self.target_epoch >= self.source_epoch
    }

    /// Rows inserted over all tables.
    pub fn inserted(&self) -> u64 {
        self.tables.iter().map(|t| t.inserted).sum()
    }

    /// The verification summary: counts per table on both sides and OK/MISMATCH.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{:<18} {:>12} {:>12} {:>12}  {}\n",
            "table", "source", "target", "inserted", "result"
        );
        for t in &self.tables {
            out.push_str(&format!(
                "{:<18} {:>12} {:>12} {:>12}  {}\n",
                t.table,
                t.source,
                t.target,
                t.inserted,
                if t.ok() { "OK" } else { "MISMATCH" }
            ));
        }
        out.push_str(&format!(
            "{:<18} {:>12} {:>12} {:>12}  {}\n",
            "auth_epoch",
            self.source_epoch,
            self.target_epoch,
            "-",
            if self.target_epoch >= self.source_epoch {
                "OK"
            } else {
                "MISMATCH"
            }
        ));
        out
    }
}

/// Progress of one table, reported after every batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The table being copied.
    pub table: &'static str,
    /// Source rows read so far.
    pub done: u64,
    /// Source rows at the start.
    pub total: u64,
    /// Rows inserted so far.
    pub inserted: u64,
    /// The table is finished.
    pub finished: bool,
}

/// Opens a database for copying: `sqlite:PATH` (also `sqlite://PATH`) or `postgres://…` /
/// `postgresql://…`, the forms `--database-url` accepts. With `must_exist`, a SQLite file
/// that does not exist is an error rather than a new empty database.
///
/// # Errors
/// On an unsupported URL or a database that cannot be opened or migrated.
pub async fn open(url: &str, must_exist: bool) -> anyhow::Result<Box<dyn TableCopy>> {
    let url = DatabaseUrl::parse(url)?;
    match url {
        DatabaseUrl::Postgres(ref pg) => {
            let store = PgStore::open(pg, 2, Duration::from_secs(600))
                .await
                .with_context(|| format!("opening PostgreSQL database {}", url.redacted()))?;
            Ok(Box::new(store))
        }
        DatabaseUrl::Sqlite(path) => {
            if must_exist && !path.exists() {
                bail!("source database {} does not exist", path.display());
            }
            let store = SqliteStore::open(&path, Durability::Full)
                .with_context(|| format!("opening database {}", path.display()))?;
            Ok(Box::new(store))
        }
    }
}

/// Copies every table from `from` to `to` in batches of `batch` rows, calling `progress` after
/// each batch, then counts both sides.
///
/// # Errors
/// When either database fails; rows committed before the failure stay, and a new run resumes.
pub async fn copy(
    from: &dyn TableCopy,
    to: &dyn TableCopy,
    batch: u32,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<CopyReport, StoreError> {
    let batch = batch.max(1);
    let mut tables = Vec::with_capacity(TABLES.len());
    for table in from.tables() {
        tables.push(copy_table(from, to, table, batch, progress).await?);
    }
    let source_epoch = from.epoch().await?;
    to.raise_epoch(source_epoch).await?;
    to.seal_changes().await?;
    let target_epoch = to.epoch().await?;
    // Count again at the end: the report compares the sides as they are now.
    for t in &mut tables {
        if let Some(table) = TABLES.iter().find(|x| x.name == t.table) {
            t.source = from.count(table).await?;
            t.target = to.count(table).await?;
        }
    }
    Ok(CopyReport {
        tables,
        source_epoch,
        target_epoch,
    })
}

/// Whether rows of `table` may keep their `seq`: the destination is empty, or its last row is
/// the source's row with the same `seq` (an earlier copy that kept keys, perhaps interrupted).
async fn may_keep_seq(from: &dyn TableCopy, to: &dyn TableCopy, table: &'static Table) -> Result<bool, StoreError> {
    if table.key != TableKey::Seq {
        return Ok(false);
    }
    let Some(last) = to.last_row(table).await? else {
        return Ok(true);
    };
    let Some(seq) = last.first().and_then(serde_json::Value::as_i64) else {
        return Ok(false);
    };
    let twin = from
        .export(table, Some(crate::store::copy::CopyKey::Seq(seq.saturating_sub(1))), 1)
        .await?;
    Ok(twin.first().is_some_and(|row| row.get(..2) == last.get(..2)))
}

async fn copy_table(
    from: &dyn TableCopy,
    to: &dyn TableCopy,
    table: &'static Table,
    batch: u32,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<TableReport, StoreError> {
    let total = from.count(table).await?;
    let keep_seq = may_keep_seq(from, to, table).await?;
    let mut report = Progress {
        table: table.name,
        done: 0,
        total,
        inserted: 0,
        finished: false,
    };
    let mut rows: Vec<CopyRow> = from.export(table, None, batch).await?;
    while !rows.is_empty() {
        let last = match rows.last() {
            Some(row) => Some(table.key_of(row)?),
            None => None,
        };
        let read = rows.len() as u64;
        let full = read >= u64::from(batch);
        // Read the next batch while this one is written.
        let (inserted, next) = tokio::join!(to.import(table, rows, keep_seq), async {
            if full {
                from.export(table, last, batch).await
            } else {
                Ok(Vec::new())
            }
        });
        report.inserted += inserted?;
        report.done += read;
        rows = next?;
        progress(report);
    }
    report.finished = true;
    progress(report);
    Ok(TableReport {
        table: table.name,
        source: total,
        target: 0,
        inserted: report.inserted,
        kept_seq: keep_seq,
    })
}

/// Prints progress to stderr: one line per batch rewritten in place on a terminal, otherwise a
/// line at most every second and one when a table is done.
pub fn stderr_progress() -> impl FnMut(Progress) + Send {
    let terminal = std::io::stderr().is_terminal();
    let mut last_line = Instant::now();
    move |p: Progress| {
        let line = format!("{}: {}/{} rows ({} inserted)", p.table, p.done, p.total, p.inserted);
        if terminal {
            eprint!("\r\x1b[2K{line}");
            if p.finished {
                eprintln!();
            }
        } else if p.finished || last_line.elapsed() >= Duration::from_secs(1) {
            eprintln!("{line}");
            last_line = Instant::now();
        }
    }
}

/// What `banter copy --from … --to …` runs: opens both databases, copies with progress on
/// stderr, and returns the report (the caller prints it).
///
/// # Errors
/// On a bad URL, the same database on both sides, or a database failure.
pub async fn run(from_url: &str, to_url: &str, batch: u32) -> anyhow::Result<CopyReport> {
    if from_url == to_url {
        bail!("--from and --to name the same database");
    }
    let from = open(from_url, true).await.context("opening the source")?;
    let to = open(to_url, false).await.context("opening the destination")?;
    let mut progress = stderr_progress();
    let report = copy(from.as_ref(), to.as_ref(), batch, &mut progress)
        .await
        .context("copying")?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(source: u64, target: u64) -> CopyReport {
        CopyReport {
            tables: vec![TableReport {
                table: "accounts",
                source,
                target,
                inserted: 0,
                kept_seq: true,
            }],
            source_epoch: 1,
            target_epoch: 1,
        }
    }

    #[test]
    fn a_count_difference_is_a_mismatch() {
        assert!(report(3, 3).ok());
        assert!(!report(3, 4).ok());
        assert!(report(3, 2).render().contains("MISMATCH"));
        assert!(!report(3, 3).render().contains("MISMATCH"));
    }
}
