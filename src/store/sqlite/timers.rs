//! Conversation timers on SQLite (SQL in `store::queries::timers`). The one writer fires
//! timers one conditional update at a time, so a timer fires once.

use async_trait::async_trait;
use rusqlite::params;

use super::channels::updated;
use super::{SqliteStore, other, query_rows};
use crate::store::queries::timers as q;
use crate::store::row;
use crate::store::{Channel, OutboxRow, StoreError, TimerStore};
use crate::time;

/// What a conditional update compares a channel without a due timer with.
const NO_TIMER: i64 = -1;

#[async_trait]
impl TimerStore for SqliteStore {
    async fn due_timers(&self, now: i64, limit: u32) -> Result<Vec<Channel>, StoreError> {
        self.read(|c| {
            let rows = query_rows(c, q::DUE.sqlite(), params![now, limit], |r| row::channel(r, 0))?;
            Ok(rows.into_iter().map(|k| k.item).collect())
        })
        .await
    }

    async fn set_conversation_state(
        &self,
        next: &Channel,
        from_state: &str,
        due_at: Option<i64>,
        outbox: &[OutboxRow],
    ) -> Result<bool, StoreError> {
        let ch = next.clone();
        let from_state = from_state.to_owned();
        let outbox = outbox.to_vec();
        self.write_logged(move |c, log| {
            let t = &ch.timers;
            let n = c
                .prepare_cached(q::FIRE.sqlite())
                .and_then(|mut s| {
                    s.execute(params![
                        ch.sid,
                        ch.state,
                        time::format(&ch.date_updated),
                        t.inactive_ms,
                        t.closed_ms,
                        t.inactive_at,
                        t.closed_at,
                        t.due_at(),
                        from_state,
                        due_at.unwrap_or(NO_TIMER)
                    ])
                })
                .map_err(other)?;
            if n > 0 {
                updated(c, log, &ch, &outbox)?;
            }
            Ok(n > 0)
        })
        .await
    }
}
