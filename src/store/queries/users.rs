//! Users.

use crate::store::row::{USER_COLUMNS, columns};
use crate::{paged_sql, shared_sql};

shared_sql! {
    /// Inserts a user: sid, account, service, role, identity, attributes, friendly name, joined
    /// channels, created, updated.
    pub INSERT = "insert into users (sid, account_sid, service_sid, role_sid, identity, attributes, friendly_name, \
        joined_channels_count, date_created, date_updated) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    /// A user of service `$2` by SID `$1`.
    pub BY_SID = format!(
        "select {} from users where sid = $1 and service_sid = $2",
        columns(USER_COLUMNS, "")
    );
    /// A user of service `$2` by identity `$1`.
    pub BY_IDENTITY = format!(
        "select {} from users where identity = $1 and service_sid = $2",
        columns(USER_COLUMNS, "")
    );
    /// The users of service `$1` whose identities are in the JSON array `$2` (SQLite).
    pub BY_IDENTITIES_SQLITE = format!(
        "select {} from users where service_sid = $1 and identity in (select value from json_each($2))",
        columns(USER_COLUMNS, "")
    );
    /// The users of service `$1` whose identities are in the array `$2` (PostgreSQL).
    pub BY_IDENTITIES_PG = format!(
        "select {} from users where service_sid = $1 and identity = any($2::text[])",
        columns(USER_COLUMNS, "")
    );
    /// Writes a user's role, attributes, friendly name and updated; where sid `$5` and
    /// service `$6`.
    pub UPDATE = "update users set role_sid = $1, attributes = $2, friendly_name = $3, date_updated = $4 \
        where sid = $5 and service_sid = $6";
    /// The memberships (channel, member SID) of identity `$2` in service `$1`, by channel.
    pub MEMBERSHIPS = "select channel_sid, sid from members where service_sid = $1 and identity = $2 \
        order by channel_sid";
    /// Deletes the invites of identity `$2` in service `$1`; returns their channels and SIDs.
    pub DELETE_INVITES = "delete from invites where service_sid = $1 and identity = $2 returning channel_sid, sid";
    /// Deletes the push bindings of identity `$2` in service `$1`.
    pub DELETE_BINDINGS = "delete from bindings where service_sid = $1 and identity = $2";
    /// Deletes user `$1`.
    pub DELETE = "delete from users where sid = $1";
    /// What identity `$2` holds in service `$1` and channel `$3` (`''` for none): user SID,
    /// service role permissions, member SID, channel role permissions, pending invite.
    pub GRANTS = "select u.sid, ur.permissions, m.sid, mr.permissions, \
        exists (select 1 from invites i where i.service_sid = $1 and i.identity = $2 and i.channel_sid = $3) \
        from users u \
        left join roles ur on ur.sid = u.role_sid \
        left join members m on m.channel_sid = $3 and m.identity = u.identity \
        left join roles mr on mr.sid = m.role_sid \
        where u.service_sid = $1 and u.identity = $2";
}

paged_sql! {
    /// A page of the users of service `$1`.
    pub LIST = ("seq", |tail| format!(
        "select {} from users where service_sid = $1 and {tail}",
        columns(USER_COLUMNS, "")
    ));
}
