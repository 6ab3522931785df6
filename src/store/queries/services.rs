//! Services.

use crate::store::row::{SERVICE_COLUMNS, columns};
use crate::{paged_sql, shared_sql};

shared_sql! {
    /// Inserts a service: sid, account, friendly name, created, updated, revision, settings.
    pub INSERT = "insert into services (sid, account_sid, friendly_name, date_created, date_updated, revision, \
        settings) values ($1, $2, $3, $4, $5, $6, $7)";
    /// A service of account `$2` by SID `$1`.
    pub BY_SID = format!(
        "select {} from services where sid = $1 and account_sid = $2",
        columns(SERVICE_COLUMNS, "")
    );
    /// Writes a service's friendly name, updated, revision and settings; where sid `$5`,
    /// account `$6` and the stored revision is still `$7`.
    pub UPDATE = "update services set friendly_name = $1, date_updated = $2, revision = $3, settings = $4 \
        where sid = $5 and account_sid = $6 and revision = $7";
    /// Deletes service `$1` of account `$2` (the rows under it go with it).
    pub DELETE = "delete from services where sid = $1 and account_sid = $2";
}

paged_sql! {
    /// A page of the services of account `$1`.
    pub LIST = ("seq", |tail| format!(
        "select {} from services where account_sid = $1 and {tail}",
        columns(SERVICE_COLUMNS, "")
    ));
}
