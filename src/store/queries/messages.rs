//! Messages. Indexes are reserved on the channel row (`next_index`); pages are keyed by index.

use crate::store::row::{MESSAGE_COLUMNS, columns};
use crate::{paged_sql, shared_sql};

shared_sql! {
    /// Reserves `$2` indexes on channel `$1` (counting them as messages, the last one `$3`),
    /// restarts the conversation's timers from `$4` (unix ms; a message is activity) and
    /// returns the first index and the channel's state; no row when the channel does not exist or
    /// is a closed conversation (final: it takes no messages).
    pub RESERVE = "update channels set next_index = next_index + $2, messages_count = messages_count + $2, \
        last_message_sid = $3, timer_inactive_at = $4 + timer_inactive_ms, \
        timer_closed_at = $4 + timer_closed_ms, timer_due_at = $4 + case \
        when timer_inactive_ms is null then timer_closed_ms when timer_closed_ms is null then timer_inactive_ms \
        when timer_inactive_ms < timer_closed_ms then timer_inactive_ms else timer_closed_ms end \
        where sid = $1 and (state is null or state <> 'closed') returning next_index - $2, state";
    /// A message reactivates inactive conversation `$1`, updated at `$2`; counts a row when it
    /// did (in the appending transaction, which then logs the channel's update).
    pub REACTIVATE = "update channels set state = 'active', date_updated = $2 \
        where sid = $1 and state = 'inactive'";
    /// Inserts one message: sid, account, service, channel, index, from, body, attributes,
    /// media, edited, last updated by, created, updated, media size, type and file name (SQLite;
    /// the PostgreSQL appender inserts a batch at once).
    pub INSERT = "insert into messages (sid, account_sid, service_sid, channel_sid, idx, from_identity, body, \
        attributes, media_sid, was_edited, last_updated_by, date_created, date_updated, media_size, \
        media_content_type, media_filename) \
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
    /// A message of channel `$2` by SID `$1`.
    pub BY_SID = format!(
        "select {} from messages where sid = $1 and channel_sid = $2",
        columns(MESSAGE_COLUMNS, "")
    );
    /// Updates a message's writable fields: from, body, attributes, edited, last updated by,
    /// created, updated; where sid `$8` and channel `$9`.
    pub UPDATE = "update messages set from_identity = $1, body = $2, attributes = $3, was_edited = $4, \
        last_updated_by = $5, date_created = $6, date_updated = $7 where sid = $8 and channel_sid = $9";
    /// Deletes message `$1` of channel `$2` and returns its index.
    pub DELETE = "delete from messages where sid = $1 and channel_sid = $2 returning idx";
    /// After deleting message `$2` of channel `$1`: one message less, and the last message
    /// recomputed when it was the one deleted; returns the channel's service.
    pub DELETED = "update channels set messages_count = messages_count - 1, last_message_sid = case \
        when last_message_sid = $2 then (select sid from messages where channel_sid = $1 order by idx desc limit 1) \
        else last_message_sid end where sid = $1 returning service_sid";
}

paged_sql! {
    /// A page of the messages of channel `$1`, by index.
    pub LIST = ("idx", |tail| format!(
        "select {} from messages where channel_sid = $1 and {tail}",
        columns(MESSAGE_COLUMNS, "")
    ));
}
