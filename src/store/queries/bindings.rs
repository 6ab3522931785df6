//! Push bindings.

use crate::store::row::{BINDING_COLUMNS, columns};
use crate::{paged_sql, shared_sql};

shared_sql! {
    /// Inserts a binding: sid, account, service, identity, endpoint, credential, binding type,
    /// message types (a JSON array), created, updated.
    pub INSERT = "insert into bindings (sid, account_sid, service_sid, identity, endpoint, credential_sid, \
        binding_type, message_types, date_created, date_updated) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    /// A binding of service `$2` by SID `$1`.
    pub BY_SID = format!(
        "select {} from bindings where sid = $1 and service_sid = $2",
        columns(BINDING_COLUMNS, "")
    );
    /// Deletes binding `$1` of service `$2`; returns its identity.
    pub DELETE = "delete from bindings where sid = $1 and service_sid = $2 returning identity";
}

paged_sql! {
    /// A page of the bindings of service `$1` whose type is in the list `$4` and whose identity
    /// is in the list `$5` (SQLite: JSON arrays; empty means any).
    pub LIST_SQLITE = ("seq", |tail| format!(
        "select {} from bindings where service_sid = $1 \
         and ($4 = '[]' or binding_type in (select value from json_each($4))) \
         and ($5 = '[]' or identity in (select value from json_each($5))) and {tail}",
        columns(BINDING_COLUMNS, "")
    ));
    /// A page of the bindings of service `$1` whose type is in the array `$4` and whose
    /// identity is in the array `$5` (PostgreSQL; empty means any).
    pub LIST_PG = ("seq", |tail| format!(
        "select {} from bindings where service_sid = $1 \
         and (cardinality($4::text[]) = 0 or binding_type = any($4::text[])) \
         and (cardinality($5::text[]) = 0 or identity = any($5::text[])) and {tail}",
        columns(BINDING_COLUMNS, "")
    ));
}
