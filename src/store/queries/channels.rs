//! Channels.

use crate::store::row::{CHANNEL_COLUMNS, columns};
use crate::{paged_sql, shared_sql};

/// The row's state and due instant are still as the updater read them (`$17`, `$18`).
const AS_READ: &str = "(coalesce(state, 'active') = coalesce(cast($17 as text), 'active') \
    and coalesce(timer_due_at, -1) = coalesce(cast($18 as bigint), -1))";

shared_sql! {
    /// Inserts a channel: sid, account, service, friendly name, unique name, attributes, type,
    /// created by, created, updated, state, messaging service, then its timers (inactive and
    /// closed durations, their instants, the due instant).
    pub INSERT = "insert into channels (sid, account_sid, service_sid, friendly_name, unique_name, attributes, \
        type, created_by, date_created, date_updated, state, messaging_service_sid, \
        timer_inactive_ms, timer_closed_ms, timer_inactive_at, timer_closed_at, timer_due_at) \
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
    /// A channel of service `$2` by SID `$1`.
    pub BY_SID = format!(
        "select {} from channels c where c.sid = $1 and c.service_sid = $2",
        columns(CHANNEL_COLUMNS, "c")
    );
    /// A channel of service `$2` by unique name `$1`.
    pub BY_UNIQUE_NAME = format!(
        "select {} from channels c where c.unique_name = $1 and c.service_sid = $2",
        columns(CHANNEL_COLUMNS, "c")
    );
    /// Updates a channel's writable fields: friendly name, unique name, attributes, created by,
    /// created, updated, type `$9`, state `$10`, messaging service `$11` and timers `$12`–`$16`
    /// (as in [`INSERT`]); where sid `$7` and service `$8`. The state and timers only while the
    /// row's state and due instant are still the ones read, `$17` and `$18`.
    pub UPDATE = "update channels set friendly_name = $1, unique_name = $2, attributes = $3, created_by = $4, \
        date_created = $5, date_updated = $6, type = $9, messaging_service_sid = $11, \
        state = case when ASREAD then $10 else state end, \
        timer_inactive_ms = case when ASREAD then $12 else timer_inactive_ms end, \
        timer_closed_ms = case when ASREAD then $13 else timer_closed_ms end, \
        timer_inactive_at = case when ASREAD then $14 else timer_inactive_at end, \
        timer_closed_at = case when ASREAD then $15 else timer_closed_at end, \
        timer_due_at = case when ASREAD then $16 else timer_due_at end \
        where sid = $7 and service_sid = $8".replace("ASREAD", AS_READ);
    /// Deletes channel `$1` of service `$2`.
    pub DELETE = "delete from channels where sid = $1 and service_sid = $2";
}

paged_sql! {
    /// A page of the channels of service `$1` whose type is in the list `$4` (SQLite: a JSON
    /// array; every type when empty) that identity `$5` may see: public, created by it, or joined or invited to (every channel
    /// for `''`).
    pub LIST_SQLITE = ("c.seq", |tail| format!(
        "select {} from channels c where c.service_sid = $1 \
         and ($4 = '[]' or c.type in (select value from json_each($4))) \
         and ($5 = '' or c.type = 'public' or c.created_by = $5 \
              or exists (select 1 from members m where m.channel_sid = c.sid and m.identity = $5) \
              or exists (select 1 from invites i where i.channel_sid = c.sid and i.identity = $5)) \
         and {tail}",
        columns(CHANNEL_COLUMNS, "c")
    ));
    /// A page of the conversations (private channels) of service `$1` that identity `$4` may
    /// see (every one for `''`), in state `$5` (NULL state reads active), created on day `$6`
    /// or later and on day `$7` or earlier (each unless NULL).
    pub LIST_CONVERSATIONS = ("c.seq", |tail| format!(
        "select {} from channels c where c.service_sid = $1 and c.type = 'private' \
         and ($4 = '' or c.created_by = $4 \
              or exists (select 1 from members m where m.channel_sid = c.sid and m.identity = $4) \
              or exists (select 1 from invites i where i.channel_sid = c.sid and i.identity = $4)) \
         and (cast($5 as text) is null or coalesce(c.state, 'active') = cast($5 as text)) \
         and (cast($6 as text) is null or substr(c.date_created, 1, 10) >= cast($6 as text)) \
         and (cast($7 as text) is null or substr(c.date_created, 1, 10) <= cast($7 as text)) \
         and {tail}",
        columns(CHANNEL_COLUMNS, "c")
    ));
    /// A page of the channels of service `$1` whose type is in the array `$4` (PostgreSQL;
    /// every type when empty) that identity `$5` may see: public, created by it, or joined or invited to (every channel
    /// for `''`).
    pub LIST_PG = ("c.seq", |tail| format!(
        "select {} from channels c where c.service_sid = $1 \
         and (cardinality($4::text[]) = 0 or c.type = any($4::text[])) \
         and ($5 = '' or c.type = 'public' or c.created_by = $5 \
              or exists (select 1 from members m where m.channel_sid = c.sid and m.identity = $5) \
              or exists (select 1 from invites i where i.channel_sid = c.sid and i.identity = $5)) \
         and {tail}",
        columns(CHANNEL_COLUMNS, "c")
    ));
}
