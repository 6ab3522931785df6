//! Conversations address configurations (`/v1/Configuration/Addresses`).

use crate::store::row::{ADDRESS_COLUMNS, columns};
use crate::{paged_sql, shared_sql};

shared_sql! {
    /// Inserts an address configuration: sid, account, type, address, friendly name, auto
    /// creation (JSON), country, created, updated.
    pub INSERT = "insert into conversation_addresses (sid, account_sid, type, address, friendly_name, \
        auto_creation, address_country, date_created, date_updated) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    /// An address configuration of account `$2` by SID or address `$1`.
    pub BY_KEY = format!(
        "select {} from conversation_addresses where (sid = $1 or address = $1) and account_sid = $2",
        columns(ADDRESS_COLUMNS, "")
    );
    /// Writes an address configuration's friendly name, auto creation and updated; where sid
    /// `$4` and account `$5`.
    pub UPDATE = "update conversation_addresses set friendly_name = $1, auto_creation = $2, date_updated = $3 \
        where sid = $4 and account_sid = $5";
    /// Deletes address configuration `$1` of account `$2`.
    pub DELETE = "delete from conversation_addresses where sid = $1 and account_sid = $2";
}

paged_sql! {
    /// A page of the address configurations of account `$1`, of type `$4` unless it is NULL.
    pub LIST = ("seq", |tail| format!(
        "select {} from conversation_addresses where account_sid = $1 \
         and (cast($4 as text) is null or type = cast($4 as text)) and {tail}",
        columns(ADDRESS_COLUMNS, "")
    ));
}
