//! The change log on PostgreSQL (SQL in `store::queries::changes`).
//!
//! Nodes write concurrently, so positions must come out in commit order: each writing
//! transaction takes its service's positions from the `change_heads` row with `update …
//! returning` as its **last** step, and the row lock is held until commit. A later writer of
//! the service waits for that commit, so it can only take larger positions and commit after;
//! a reader that has seen position `P` cannot later find a new change at or below `P`. (A
//! sequence would not do: numbers are handed out in call order, and a transaction holding 7
//! may commit after one holding 8.)
//!
//! Taking the head last keeps lock order acyclic: a transaction that holds a head waits for no
//! other lock (it only inserts rows no one else writes), so it always reaches its commit. The
//! cost is that the commits of one service are serialised: the message appender batches many
//! messages per transaction and takes each service's head once per batch.

use async_trait::async_trait;
use deadpool_postgres::Transaction;

use super::{Fail, PgStore, execute, map_rows, query_opt};
use crate::store::changes::check_resumable;
use crate::store::queries::changes as q;
use crate::store::row::{self, Cursor};
use crate::store::{Change, ChangeHead, ChangeStore, NewChange, StoreError};
use crate::time::{self, Timestamp};

/// Logs `changes`, each with its service, inside the caller's transaction (as its last step,
/// see the module docs): per service, in SID order (so two batches never wait on each other's
/// heads), one statement takes the next positions and writes the rows.
pub(super) async fn log_all(t: &Transaction<'_>, changes: &[(&str, NewChange<'_>)]) -> Result<(), Fail> {
    let mut order: Vec<usize> = (0..changes.len()).collect();
    order.sort_by_key(|&i| changes[i].0);
    let now = time::format(&time::now());
    let mut start = 0;
    while start < order.len() {
        let service_sid = changes[order[start]].0;
        let run: Vec<&NewChange<'_>> = order[start..]
            .iter()
            .take_while(|&&i| changes[i].0 == service_sid)
            .map(|&i| &changes[i].1)
            .collect();
        start += run.len();
        let n = i64::try_from(run.len()).map_err(StoreError::other)?;
        let channels: Vec<Option<&str>> = run.iter().map(|c| c.channel_sid).collect();
        let kinds: Vec<&str> = run.iter().map(|c| c.kind.as_str()).collect();
        let sids: Vec<&str> = run.iter().map(|c| c.sid).collect();
        let details: Vec<Option<&str>> = run.iter().map(|c| c.detail).collect();
        execute(
            t,
            q::LOG_PG.pg(),
            &[&service_sid, &n, &channels, &kinds, &sids, &now, &details],
        )
        .await?;
    }
    Ok(())
}

/// Logs `changes` of one service (see [`log_all`]).
pub(super) async fn log_in(t: &Transaction<'_>, service_sid: &str, changes: &[NewChange<'_>]) -> Result<(), Fail> {
    let all: Vec<(&str, NewChange<'_>)> = changes.iter().map(|c| (service_sid, *c)).collect();
    log_all(t, &all).await
}

/// Logs one change (see [`log_all`]).
pub(super) async fn log_one(t: &Transaction<'_>, service_sid: &str, change: NewChange<'_>) -> Result<(), Fail> {
    log_all(t, &[(service_sid, change)]).await
}

#[async_trait]
impl ChangeStore for PgStore {
    async fn changes_after(
        &self,
        service_sid: &str,
        after: i64,
        channels: Option<&[String]>,
        limit: usize,
    ) -> Result<Vec<Change>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let all = channels.is_none();
        let channels = channels.unwrap_or_default();
        let rows = self
            .read(q::AFTER_PG.pg(), &[&service_sid, &after, &channels, &limit, &all])
            .await?;
        let changes = map_rows(&rows, |r| row::change(r, 0))?;
        // Read after the changes: a prune that deleted some of them is seen here.
        check_resumable(after, self.last_change(service_sid).await?)?;
        Ok(changes)
    }

    async fn last_change(&self, service_sid: &str) -> Result<ChangeHead, StoreError> {
        let rows = self.read(q::HEAD.pg(), &[&service_sid]).await?;
        let heads = map_rows(&rows, |r| {
            let mut cells = Cursor::new(r, 0);
            Ok(ChangeHead {
                last_position: cells.int()?,
                pruned_through: cells.int()?,
            })
        })?;
        Ok(heads.first().copied().unwrap_or_default())
    }

    async fn prune_changes(&self, older_than: Timestamp, limit: usize) -> Result<u64, StoreError> {
        let rows = self.read(q::PRUNABLE.pg(), &[]).await?;
        let services = map_rows(&rows, |r| Cursor::new(r, 0).text())?;
        let (cutoff, limit) = (time::format(&older_than), i64::try_from(limit).unwrap_or(i64::MAX));
        let mut pruned = 0;
        for service_sid in &services {
            pruned += self
                .write(&(service_sid, &cutoff, limit), |t, (service_sid, cutoff, limit)| {
                    Box::pin(async move {
                        let cut = match query_opt(t, q::PRUNE_CUT.pg(), &[service_sid, cutoff, limit]).await? {
                            Some(row) => Cursor::new(&row, 0).opt_int()?,
                            None => None,
                        };
                        let Some(cut) = cut else { return Ok(0) };
                        let n = execute(t, q::PRUNE.pg(), &[service_sid, &cut]).await?;
                        // The head last, as writers take it (see the module docs).
                        execute(t, q::PRUNED.pg(), &[service_sid, &cut]).await?;
                        Ok(n)
                    })
                })
                .await?;
        }
        Ok(pruned)
    }
}
