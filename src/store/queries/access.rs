//! What an end user's request reads about a channel, in one statement.

use crate::shared_sql;
use crate::store::row::{CHANNEL_COLUMNS, columns};

/// The select list and joins shared by both lookups: the channel's columns, then what identity
/// `$3` holds (user SID, service role permissions, member SID, channel role permissions,
/// invited), then whether the channel has webhooks.
fn channel_access(key_column: &str) -> String {
    format!(
        "select {}, u.sid, ur.permissions, m.sid, mr.permissions, \
         exists (select 1 from invites i where i.channel_sid = c.sid and i.identity = $3), \
         exists (select 1 from channel_webhooks w where w.channel_sid = c.sid) \
         from channels c \
         left join users u on u.service_sid = c.service_sid and u.identity = $3 \
         left join roles ur on ur.sid = u.role_sid \
         left join members m on m.channel_sid = c.sid and m.identity = $3 \
         left join roles mr on mr.sid = m.role_sid \
         where c.{key_column} = $1 and c.service_sid = $2",
        columns(CHANNEL_COLUMNS, "c")
    )
}

shared_sql! {
    /// Channel `$1` (by SID) of service `$2`, with what identity `$3` holds there.
    pub BY_SID = channel_access("sid");
    /// Channel `$1` (by unique name) of service `$2`, with what identity `$3` holds there.
    pub BY_UNIQUE_NAME = channel_access("unique_name");
}
