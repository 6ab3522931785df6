//! The change log on SQLite (SQL in `store::queries::changes`). The writer is the only one, so
//! positions are committed in the order they are taken.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::channels::json_list;
use super::{SqliteStore, other, query_first, query_rows};
use crate::store::changes::check_resumable;
use crate::store::queries::changes as q;
use crate::store::row::{self, Cursor};
use crate::store::{Change, ChangeHead, ChangeKind, ChangeStore, NewChange, StoreError};
use crate::time::{self, Timestamp};

/// One change waiting for its batch to commit.
struct Pending {
    service_sid: String,
    channel_sid: Option<String>,
    kind: ChangeKind,
    sid: String,
    detail: Option<String>,
}

/// The changes logged by the writes of one group commit, written together just before it
/// commits (see [`super::writer`]).
///
/// Each write runs in its own savepoint, and SQLite copies every page a savepoint modifies
/// first: a change row and a head update per write would add two such pages to every message
/// append. Written once per batch instead, outside the savepoints, the log costs one head update
/// per service and a few appended pages per commit. The rows still commit in the same
/// transaction as the writes that logged them, and a write that fails (rolled back to its
/// savepoint) takes its changes back with it.
#[derive(Default)]
pub(super) struct ChangeLog {
    pending: Vec<Pending>,
}

impl ChangeLog {
    /// Logs `change` of service `service_sid`.
    pub(super) fn push(&mut self, service_sid: &str, change: NewChange<'_>) {
        self.pending.push(Pending {
            service_sid: service_sid.to_owned(),
            channel_sid: change.channel_sid.map(str::to_owned),
            kind: change.kind,
            sid: change.sid.to_owned(),
            detail: change.detail.map(str::to_owned),
        });
    }

    /// How many changes are logged (a mark for [`ChangeLog::truncate`]).
    pub(super) fn len(&self) -> usize {
        self.pending.len()
    }

    /// Forgets the changes logged after `mark` (their write was rolled back).
    pub(super) fn truncate(&mut self, mark: usize) {
        self.pending.truncate(mark);
    }

    /// Writes every logged change on the writer connection and empties the log: per service (in
    /// order of first appearance) takes the next positions from its head, creating the head on
    /// the service's first change, and gives them out in the order the writes ran, which is
    /// the order they commit in.
    pub(super) fn write(&mut self, c: &Connection) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.pending);
        let mut services: Vec<&str> = Vec::new();
        for p in &pending {
            if !services.contains(&p.service_sid.as_str()) {
                services.push(&p.service_sid);
            }
        }
        let now = time::format(&time::now());
        let mut insert = c.prepare_cached(q::INSERT.sqlite()).map_err(other)?;
        for service_sid in services {
            let mine: Vec<&Pending> = pending.iter().filter(|p| p.service_sid == service_sid).collect();
            let n = i64::try_from(mine.len()).map_err(StoreError::other)?;
            let take = |sql: &str| query_first(c, sql, params![service_sid, n], |r| Cursor::new(r, 0).int());
            let base = match take(q::ADVANCE.sqlite())? {
                Some(base) => base,
                None => take(q::ADVANCE_OR_CREATE.sqlite())?.ok_or_else(|| StoreError::other("no change head"))?,
            };
            for (position, p) in (base + 1..).zip(mine) {
                insert
                    .execute(params![
                        service_sid,
                        position,
                        p.channel_sid,
                        p.kind.as_str(),
                        p.sid,
                        now,
                        p.detail
                    ])
                    .map_err(other)?;
            }
        }
        Ok(())
    }
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
        channels: Option<&[String]>,
        limit: usize,
    ) -> Result<Vec<Change>, StoreError> {
        let all = channels.is_none();
        let channels = json_list(channels.unwrap_or_default());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|c| {
            let changes = query_rows(
                c,
                q::AFTER_SQLITE.sqlite(),
                params![service_sid, after, channels, limit, all],
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
