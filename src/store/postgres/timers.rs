//! Conversation timers on PostgreSQL (SQL in `store::queries::timers`).
//!
//! Every node sweeps. A node fires a timer in one transaction that first locks the channel row
//! with `for update skip locked` (a node already firing it holds the lock: the others skip it)
//! and then updates it only if the state and due instant are still those it read, so a timer
//! fired (or restarted by a message) meanwhile is left alone: each timer fires once.

use async_trait::async_trait;

use super::channels::updated;
use super::{PgStore, execute, map_rows, query_opt};
use crate::store::queries::timers as q;
use crate::store::row;
use crate::store::{Channel, OutboxRow, StoreError, TimerStore};
use crate::time;

/// What a conditional update compares a channel without a due timer with.
const NO_TIMER: i64 = -1;

#[async_trait]
impl TimerStore for PgStore {
    async fn due_timers(&self, now: i64, limit: u32) -> Result<Vec<Channel>, StoreError> {
        let rows = self.read(q::DUE.pg(), &[&now, &i64::from(limit)]).await?;
        Ok(map_rows(&rows, |r| row::channel(r, 0))?
            .into_iter()
            .map(|k| k.item)
            .collect())
    }

    async fn set_conversation_state(
        &self,
        next: &Channel,
        from_state: &str,
        due_at: Option<i64>,
        outbox: &[OutboxRow],
    ) -> Result<bool, StoreError> {
        self.write(
            &(next, from_state, due_at.unwrap_or(NO_TIMER), outbox),
            |t, (ch, from_state, due_at, outbox)| {
                Box::pin(async move {
                    let claimed = query_opt(t, q::CLAIM_PG.pg(), &[&ch.sid, from_state, due_at]).await?;
                    if claimed.is_none() {
                        return Ok(false);
                    }
                    let timers = &ch.timers;
                    let n = execute(
                        t,
                        q::FIRE.pg(),
                        &[
                            &ch.sid,
                            &ch.state,
                            &time::format(&ch.date_updated),
                            &timers.inactive_ms,
                            &timers.closed_ms,
                            &timers.inactive_at,
                            &timers.closed_at,
                            &timers.due_at(),
                            from_state,
                            due_at,
                        ],
                    )
                    .await?;
                    if n > 0 {
                        updated(t, ch, outbox).await?;
                    }
                    Ok(n > 0)
                })
            },
        )
        .await
    }
}
