//! Invites, and the per-user view of channels (joined and invited).

use crate::store::row::{CHANNEL_COLUMNS, INVITE_COLUMNS, USER_CHANNEL_COLUMNS, columns};
use crate::{paged_sql, shared_sql};

/// The insert both backends share; PostgreSQL adds its conflict clause ([`INSERT_OR_SKIP_PG`]).
const INSERT_TEXT: &str = "insert into invites (sid, account_sid, service_sid, channel_sid, identity, role_sid, \
    created_by, date_created, date_updated) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

shared_sql! {
    /// Inserts an invite: sid, account, service, channel, identity, role, created by, created,
    /// updated (SQLite: a unique violation is the duplicate).
    pub INSERT = INSERT_TEXT;
    /// [`INSERT`] that skips a second invite of the same identity (PostgreSQL: no row changed is
    /// the duplicate).
    pub INSERT_OR_SKIP_PG = format!("{INSERT_TEXT} on conflict (channel_sid, identity) do nothing");
    /// An invite of channel `$2` by SID `$1`.
    pub BY_SID = format!(
        "select {} from invites where sid = $1 and channel_sid = $2",
        columns(INVITE_COLUMNS, "")
    );
    /// Deletes invite `$1` of channel `$2`; returns its service and identity.
    pub DELETE = "delete from invites where sid = $1 and channel_sid = $2 returning service_sid, identity";
}

paged_sql! {
    /// A page of the invites of channel `$1` whose identity is in the list `$4` (SQLite: a JSON
    /// array; every invite when empty).
    pub LIST_SQLITE = ("seq", |tail| format!(
        "select {} from invites where channel_sid = $1 \
         and ($4 = '[]' or identity in (select value from json_each($4))) and {tail}",
        columns(INVITE_COLUMNS, "")
    ));
    /// A page of the invites of channel `$1` whose identity is in the array `$4` (PostgreSQL;
    /// every invite when empty).
    pub LIST_PG = ("seq", |tail| format!(
        "select {} from invites where channel_sid = $1 \
         and (cardinality($4::text[]) = 0 or identity = any($4::text[])) and {tail}",
        columns(INVITE_COLUMNS, "")
    ));
    /// A page of the channels identity `$4` of service `$1` joined (key `2·seq` of the
    /// membership) or is invited to (key `2·seq + 1` of the invite), in one stable order; only
    /// the channels in the JSON array `$5` unless it is NULL (SQLite).
    pub USER_CHANNELS_SQLITE = ("uc.key", |tail| user_channels(tail, "($5 is null or c.sid in (select value from json_each($5)))"));
    /// [`USER_CHANNELS_SQLITE`] with `$5` an array of channel SIDs (PostgreSQL).
    pub USER_CHANNELS_PG = ("uc.key", |tail| user_channels(tail, "(cast($5 as text[]) is null or c.sid = any(cast($5 as text[])))"));
}

/// The user channels query with `tail` (the keyset part) and `among` (the channel filter: any
/// channel when `$5` is NULL).
fn user_channels(tail: &str, among: &str) -> String {
    let channel = columns(CHANNEL_COLUMNS, "c");
    format!(
        "select {}, {} from (\
           select m.seq * 2 as key, cast('joined' as text) as status, m.sid as member_sid, \
             m.last_consumed_message_index as last_consumed_message_index, \
             m.notification_level as notification_level, \
             case when m.last_consumed_message_index is null then null else \
               (select count(*) from messages x where x.channel_sid = m.channel_sid \
                and x.idx > m.last_consumed_message_index) end as unread_messages_count, {channel} \
           from members m join channels c on c.sid = m.channel_sid \
           where m.service_sid = $1 and m.identity = $4 and {among} \
           union all \
           select i.seq * 2 + 1, cast('invited' as text), null, null, null, null, {channel} \
           from invites i join channels c on c.sid = i.channel_sid \
           where i.service_sid = $1 and i.identity = $4 and {among}\
         ) as uc where {tail}",
        columns(USER_CHANNEL_COLUMNS, "uc"),
        columns(CHANNEL_COLUMNS, "uc"),
    )
}
