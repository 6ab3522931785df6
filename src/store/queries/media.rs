//! Media records of the Media Content Service.

use crate::shared_sql;
use crate::store::row::{MEDIA_COLUMNS, columns};

shared_sql! {
    /// Inserts a media record: sid, account, service, channel, message, author, file name, type,
    /// size, category, created, updated, upload updated.
    pub INSERT = "insert into media (sid, account_sid, service_sid, channel_sid, message_sid, author, filename, \
        content_type, size, category, date_created, date_updated, date_upload_updated) \
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
    /// A media record of service `$2` by SID `$1`.
    pub BY_SID = format!(
        "select {} from media where sid = $1 and service_sid = $2",
        columns(MEDIA_COLUMNS, "")
    );
    /// Attaches media `$1` of service `$2` to message `$4` of channel `$3` at `$5`, when it is
    /// attached to none; returns the record as updated.
    pub ATTACH = format!(
        "update media set channel_sid = $3, message_sid = $4, date_updated = $5 \
         where sid = $1 and service_sid = $2 and message_sid is null returning {}",
        columns(MEDIA_COLUMNS, "")
    );
    /// Detaches media `$1` from message `$2`.
    pub DETACH = "update media set channel_sid = null, message_sid = null where sid = $1 and message_sid = $2";
    /// Deletes media `$1` of service `$2`.
    pub DELETE = "delete from media where sid = $1 and service_sid = $2";
    /// The SIDs among the JSON array `$1` that have a record (SQLite).
    pub EXISTING_SQLITE = "select sid from media where sid in (select value from json_each($1))";
    /// The SIDs among the array `$1` that have a record (PostgreSQL).
    pub EXISTING_PG = "select sid from media where sid = any($1::text[])";
}
