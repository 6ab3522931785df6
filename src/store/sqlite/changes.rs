//! The change log on SQLite (SQL in `store::queries::changes`). The writer is the only one, so
//! positions are committed in the order they are taken.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::channels::json_list;
use super::{SqliteStore, other, query_first, query_rows};
use crate::store::changes::check_resumable;
use crate::store::queries::changes as q;
use crate::store::row::{self, Cursor};
use crate::store::{Change, ChangeHead, ChangeStore, NewChange, StoreError};
use crate::time::{self, Timestamp};

/// Logs `changes` of service `service_sid` on the writer connection: takes the next positions
/// from the service's head (creating it on the service's first change) and writes one row each.
pub(super) fn log_in(c: &Connection, service_sid: &str, changes: &[NewChange<'_>]) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(changes.len()).map_err(StoreError::other)?;
    let take = |sql: &str| query_first(c, sql, params![service_sid, n], |r| Cursor::new(r, 0).int());
    let base = match take(q::ADVANCE.sqlite())? {
        Some(base) => base,
        None => take(q::ADVANCE_OR_CREATE.sqlite())?.ok_or_else(|| StoreError::other("no change head"))?,
    };
    let now = time::format(&time::now());
    let mut insert = c.prepare_cached(q::INSERT.sqlite()).map_err(other)?;
    for (position, change) in (base + 1..).zip(changes) {
        insert
            .execute(params![
                service_sid,
                position,
                change.channel_sid,
                change.kind.as_str(),
                change.sid,
                now
            ])
            .map_err(other)?;
    }
    Ok(())
}

/// Logs one change (see [`log_in`]).
pub(super) fn log_one(c: &Connection, service_sid: &str, change: NewChange<'_>) -> Result<(), StoreError> {
    log_in(c, service_sid, &[change])
}

/// The head of service `service_sid` (zeros before its first change).
fn head(c: &Connection, service_sid: &str) -> Result<ChangeHead, StoreError> {
    let found = query_first(c, q::HEAD.sqlite(), [service_sid], |r| {
        let mut cells = Cursor::new(r, 0);
        Ok(ChangeHead {
            last_position: cells.int()?,
            pruned_through: cells.int()?,
        })
    })?;
    Ok(found.unwrap_or_default())
}

#[async_trait]
impl ChangeStore for SqliteStore {
    async fn changes_after(
        &self,
        service_sid: &str,
        after: i64,
        channels: &[String],
        limit: usize,
    ) -> Result<Vec<Change>, StoreError> {
        let channels = json_list(channels);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|c| {
            let changes = query_rows(
                c,
                q::AFTER_SQLITE.sqlite(),
                params![service_sid, after, channels, limit],
                |r| row::change(r, 0),
            )?;
            // Read after the changes: a prune that deleted some of them is seen here.
            let head = head(c, service_sid)?;
            check_resumable(after, head)?;
            Ok(changes)
        })
        .await
    }

    async fn last_change(&self, service_sid: &str) -> Result<ChangeHead, StoreError> {
        self.read(|c| head(c, service_sid)).await
    }

    async fn prune_changes(&self, older_than: Timestamp, limit: usize) -> Result<u64, StoreError> {
        let services = self
            .read(|c| query_rows(c, q::PRUNABLE.sqlite(), [], |r| Cursor::new(r, 0).text()))
            .await?;
        let (cutoff, limit) = (time::format(&older_than), i64::try_from(limit).unwrap_or(i64::MAX));
        let mut pruned = 0;
        for service_sid in services {
            let cutoff = cutoff.clone();
            pruned += self
                .write(move |c| {
                    let cut = query_first(c, q::PRUNE_CUT.sqlite(), params![service_sid, cutoff, limit], |r| {
                        Cursor::new(r, 0).opt_int()
                    })?
                    .flatten();
                    let Some(cut) = cut else { return Ok(0) };
                    let n = c
                        .prepare_cached(q::PRUNE.sqlite())
                        .and_then(|mut s| s.execute(params![service_sid, cut]))
                        .map_err(other)?;
                    c.prepare_cached(q::PRUNED.sqlite())
                        .and_then(|mut s| s.execute(params![service_sid, cut]))
                        .map_err(other)?;
                    Ok(n as u64)
                })
                .await?;
        }
        Ok(pruned)
    }
}
