//! Resumable change positions: what a client missed while it was offline, read from the
//! database on any node (see [`crate::store::ChangeStore`]).
//!
//! Every change a client can observe has a position, ordered within its service and written
//! in the same transaction as the change. A client keeps the position of the last change it
//! applied and asks for the changes after it; when that position is older than what the store
//! keeps (see [`Chat::spawn_change_pruner`]), it is told to resynchronise instead.

use std::time::Duration;

use super::{Chat, ChatError};
use crate::store::{Change, ChangeHead, StoreError};
use crate::time;

/// Most changes one call of [`Chat::changes_after`] returns.
pub const MAX_CHANGES_PER_READ: usize = 1000;

/// Changes deleted per service and statement by the pruner: small enough that a prune never
/// holds a service's head long (writers of the service wait for it), large enough that a day
/// of busy traffic is gone in a few passes.
const PRUNE_BATCH: usize = 1000;

/// How often the pruner looks for expired changes.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// What [`Chat::changes_after`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Catchup {
    /// The changes after the position, oldest first (empty when the caller is up to date).
    /// Fewer than asked for means there are no more for now; otherwise ask again after the
    /// last one.
    Changes(Vec<Change>),
    /// The position cannot be resumed from: changes after it may have been pruned, or it comes
    /// from another database (a copy or a restored backup). Reload the state fully, then
    /// resume from the head's `last_position`.
    Resync(ChangeHead),
}

impl Chat {
    /// Up to `limit` (at most [`MAX_CHANGES_PER_READ`]) changes of service `service_sid` after
    /// position `after`: those of the channels `channels` (every channel for `None`) and the
    /// service-level ones (users),
    /// in position order. The caller has already checked that its client may see them.
    ///
    /// # Errors
    /// [`ChatError::Store`] when the database cannot be read.
    pub async fn changes_after(
        &self,
        service_sid: &str,
        after: i64,
        channels: Option<&[String]>,
        limit: usize,
    ) -> Result<Catchup, ChatError> {
        let limit = limit.clamp(1, MAX_CHANGES_PER_READ);
        match self.store.changes_after(service_sid, after, channels, limit).await {
            Ok(changes) => Ok(Catchup::Changes(changes)),
            Err(StoreError::Resync { head, .. }) => Ok(Catchup::Resync(head)),
            Err(e) => Err(e.into()),
        }
    }

    /// Where the change log of service `service_sid` stands: a client that loads the full
    /// state reads this first and resumes from its `last_position`.
    ///
    /// # Errors
    /// [`ChatError::Store`] when the database cannot be read.
    pub async fn last_change(&self, service_sid: &str) -> Result<ChangeHead, ChatError> {
        Ok(self.store.last_change(service_sid).await?)
    }

    /// Deletes every change written more than `retention` ago, in bounded batches; returns how
    /// many went.
    ///
    /// # Errors
    /// [`ChatError::Store`] when the database cannot be written.
    pub async fn prune_changes(&self, retention: Duration) -> Result<u64, ChatError> {
        let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
        let cutoff = time::now()
            .checked_sub_signed(retention)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        let mut total = 0;
        loop {
            let pruned = self.store.prune_changes(cutoff, PRUNE_BATCH).await?;
            total += pruned;
            if pruned < PRUNE_BATCH as u64 {
                return Ok(total);
            }
            tokio::task::yield_now().await;
        }
    }

    /// Starts the background task that prunes changes older than `retention` (call once per
    /// server; with several nodes each prunes, which is harmless). Failures are logged and
    /// retried on the next round.
    pub fn spawn_change_pruner(&self, retention: Duration) {
        let chat = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PRUNE_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                match chat.prune_changes(retention).await {
                    Ok(0) => {}
                    Ok(pruned) => tracing::debug!(pruned, "pruned expired changes"),
                    Err(e) => tracing::warn!(error = %e, "cannot prune expired changes; retrying next round"),
                }
            }
        });
    }
}
