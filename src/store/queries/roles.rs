//! Roles.

use crate::store::row::{ROLE_COLUMNS, columns};
use crate::{paged_sql, shared_sql};

shared_sql! {
    /// Inserts a role: sid, account, service, friendly name, type, permissions (a JSON array),
    /// created, updated.
    pub INSERT = "insert into roles (sid, account_sid, service_sid, friendly_name, type, permissions, \
        date_created, date_updated) values ($1, $2, $3, $4, $5, $6, $7, $8)";
    /// A role of service `$2` by SID `$1`.
    pub BY_SID = format!(
        "select {} from roles where sid = $1 and service_sid = $2",
        columns(ROLE_COLUMNS, "")
    );
    /// Replaces a role's permissions and updated; where sid `$3` and service `$4`.
    pub UPDATE = "update roles set permissions = $1, date_updated = $2 where sid = $3 and service_sid = $4";
    /// The settings (a JSON document) of service `$1`, which name its default roles.
    pub SERVICE_SETTINGS = "select settings from services where sid = $1";
    /// A row when some user holds role `$1`.
    pub HELD = "select 1 from users where role_sid = $1 limit 1";
    /// Deletes role `$1`.
    pub DELETE = "delete from roles where sid = $1";
}

paged_sql! {
    /// A page of the roles of service `$1`.
    pub LIST = ("seq", |tail| format!(
        "select {} from roles where service_sid = $1 and {tail}",
        columns(ROLE_COLUMNS, "")
    ));
}
