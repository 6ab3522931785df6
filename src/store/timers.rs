//! Conversation timers: when a conversation goes inactive and when it closes by itself
//! (migration `0011_conversation_timers.sql`).
//!
//! A timer is kept as its duration and the instant it fires next, both in the channel's row.
//! Every new message restarts the set timers from its arrival, in the transaction that appends
//! it (and reactivates an inactive conversation there, logging the change). Each node sweeps
//! the due conversations through one indexed column ([`ConversationTimers::due_at`]) and fires
//! each with [`TimerStore::set_conversation_state`], a conditional update: whichever node (or sweep) fires
//! first wins, the others change nothing, so a timer fires once.

use async_trait::async_trait;

use super::{Channel, OutboxRow, StoreError};

/// The timers of a conversation. Instants are unix milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConversationTimers {
    /// `Timers.Inactive` in milliseconds, while set.
    pub inactive_ms: Option<i64>,
    /// `Timers.Closed` in milliseconds, while set.
    pub closed_ms: Option<i64>,
    /// When the conversation goes inactive (`timers.date_inactive`); `None` once fired.
    pub inactive_at: Option<i64>,
    /// When the conversation closes (`timers.date_closed`); `None` once fired.
    pub closed_at: Option<i64>,
}

impl ConversationTimers {
    /// The next instant a timer fires: what the sweep looks for.
    #[must_use]
    pub fn due_at(&self) -> Option<i64> {
        match (self.inactive_at, self.closed_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Both timers started afresh at `now` (what a message does).
    #[must_use]
    pub fn restarted(self, now: i64) -> Self {
        Self {
            inactive_at: self.inactive_ms.map(|d| now.saturating_add(d)),
            closed_at: self.closed_ms.map(|d| now.saturating_add(d)),
            ..self
        }
    }
}

/// Finding and firing due timers.
#[async_trait]
pub trait TimerStore: Send + Sync {
    /// Up to `limit` conversations with a timer due at `now` (unix ms) or earlier, the earliest
    /// first (through the index on the due instant).
    async fn due_timers(&self, now: i64, limit: u32) -> Result<Vec<Channel>, StoreError>;

    /// Writes `next` (the channel as a fired timer, or a reactivation, leaves it: its state,
    /// timers and `date_updated`) with `outbox`, and logs the channel's update, all in one
    /// transaction, if the stored channel still has the state `from_state` and the due instant
    /// `due_at` (nobody fired, restarted or changed the timers meanwhile). Returns whether it
    /// did.
    async fn set_conversation_state(
        &self,
        next: &Channel,
        from_state: &str,
        due_at: Option<i64>,
        outbox: &[OutboxRow],
    ) -> Result<bool, StoreError>;
}
