//! Conversation timers (see `store::timers`).

use crate::shared_sql;
use crate::store::row::{CHANNEL_COLUMNS, columns};

shared_sql! {
    /// Up to `$2` channels with a timer due at `$1` (unix ms) or earlier, the earliest first
    /// (read through `channels_timer_due_at_idx`).
    pub DUE = format!(
        "select {} from channels c where c.timer_due_at <= $1 order by c.timer_due_at limit $2",
        columns(CHANNEL_COLUMNS, "c")
    );
    /// A fired timer (or a reactivation): channel `$1` gets state `$2`, updated `$3`, and its timers `$4`–`$8`
    /// (inactive and closed durations, their instants, the due instant), if it still has state
    /// `$9` and due instant `$10` (`-1`: none).
    pub FIRE = "update channels set state = $2, date_updated = $3, timer_inactive_ms = $4, \
        timer_closed_ms = $5, timer_inactive_at = $6, timer_closed_at = $7, timer_due_at = $8 \
        where sid = $1 and coalesce(state, 'active') = $9 and coalesce(timer_due_at, -1) = $10";
    /// Locks channel `$1` for a state change if it still has state `$2` and due instant `$3`
    /// (`-1`: none), unless another node holds it (PostgreSQL: that node is changing it).
    pub CLAIM_PG = "select 1 from channels where sid = $1 and coalesce(state, 'active') = $2 \
        and coalesce(timer_due_at, -1) = $3 for update skip locked";
}
