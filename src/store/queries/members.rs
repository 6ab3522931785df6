//! Members, and the counters a membership change keeps exact.

use crate::store::row::{MEMBER_COLUMNS, columns};
use crate::{paged_sql, shared_sql};

/// The insert both backends share; PostgreSQL adds its conflict clause ([`INSERT_OR_SKIP_PG`]).
const INSERT_TEXT: &str = "insert into members (sid, account_sid, service_sid, channel_sid, identity, role_sid, \
    attributes, last_consumed_message_index, last_consumption_timestamp, notification_level, date_created, \
    date_updated, messaging_binding) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

shared_sql! {
    /// Inserts a member: sid, account, service, channel, identity, role, attributes, last consumed
    /// index, last consumption timestamp, notification level, created, updated, messaging binding
    /// (SQLite: a unique
    /// violation is the duplicate).
    pub INSERT = INSERT_TEXT;
    /// [`INSERT`] that skips a second member of the same identity (PostgreSQL: no row changed is
    /// the duplicate).
    pub INSERT_OR_SKIP_PG = format!("{INSERT_TEXT} on conflict (channel_sid, identity) do nothing");
    /// A row when identity `$2` is a member of channel `$1`.
    pub EXISTS = "select 1 from members where channel_sid = $1 and identity = $2";
    /// A member of channel `$2` by SID `$1`.
    pub BY_SID = format!(
        "select {} from members m where m.sid = $1 and m.channel_sid = $2",
        columns(MEMBER_COLUMNS, "m")
    );
    /// A member of channel `$2` by identity `$1`.
    pub BY_IDENTITY = format!(
        "select {} from members m where m.identity = $1 and m.channel_sid = $2",
        columns(MEMBER_COLUMNS, "m")
    );
    /// Updates a member's writable fields: role, attributes, last consumed index, last
    /// consumption timestamp, notification level, created, updated; where sid `$8` and channel `$9`;
    /// messaging binding `$10`.
    pub UPDATE = "update members set role_sid = $1, attributes = $2, last_consumed_message_index = $3, \
        last_consumption_timestamp = $4, notification_level = $5, date_created = $6, date_updated = $7, \
        messaging_binding = $10 where sid = $8 and channel_sid = $9";
    /// Deletes member `$1` of channel `$2` and returns its identity and service.
    pub DELETE = "delete from members where sid = $1 and channel_sid = $2 returning identity, service_sid";
    /// One more member in channel `$1`.
    pub COUNT_JOIN = "update channels set members_count = members_count + 1 where sid = $1";
    /// One member less in channel `$1`.
    pub COUNT_LEAVE = "update channels set members_count = members_count - 1 where sid = $1";
    /// One more channel joined by identity `$2` of service `$1`.
    pub USER_JOINED = "update users set joined_channels_count = joined_channels_count + 1 \
        where service_sid = $1 and identity = $2";
    /// One channel less joined by identity `$2` of service `$1`.
    pub USER_LEFT = "update users set joined_channels_count = joined_channels_count - 1 \
        where service_sid = $1 and identity = $2";
    /// Deletes the invites of identity `$2` to channel `$1` (it joined); returns their SIDs.
    pub DELETE_INVITES = "delete from invites where channel_sid = $1 and identity = $2 returning sid";
}

paged_sql! {
    /// A page of the members of channel `$1` whose identity is in the list `$4` (SQLite: a JSON
    /// array; every member when empty).
    pub LIST_SQLITE = ("m.seq", |tail| format!(
        "select {} from members m where m.channel_sid = $1 \
         and ($4 = '[]' or m.identity in (select value from json_each($4))) and {tail}",
        columns(MEMBER_COLUMNS, "m")
    ));
    /// A page of the members of channel `$1` whose identity is in the array `$4` (PostgreSQL;
    /// every member when empty).
    pub LIST_PG = ("m.seq", |tail| format!(
        "select {} from members m where m.channel_sid = $1 \
         and (cardinality($4::text[]) = 0 or m.identity = any($4::text[])) and {tail}",
        columns(MEMBER_COLUMNS, "m")
    ));
}
