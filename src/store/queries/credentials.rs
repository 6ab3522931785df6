//! Push credentials.

use crate::store::row::{CREDENTIAL_COLUMNS, columns};
use crate::{paged_sql, shared_sql};

shared_sql! {
    /// Inserts a credential: sid, account, friendly name, type, sandbox, certificate, private
    /// key, API key, secret, created, updated.
    pub INSERT = "insert into credentials (sid, account_sid, friendly_name, type, sandbox, certificate, \
        private_key, api_key, secret, date_created, date_updated) \
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    /// A credential of account `$2` by SID `$1`.
    pub BY_SID = format!(
        "select {} from credentials where sid = $1 and account_sid = $2",
        columns(CREDENTIAL_COLUMNS, "")
    );
    /// Writes a credential's friendly name, sandbox, certificate, private key, API key, secret
    /// and updated; where sid `$8` and account `$9`.
    pub UPDATE = "update credentials set friendly_name = $1, sandbox = $2, certificate = $3, private_key = $4, \
        api_key = $5, secret = $6, date_updated = $7 where sid = $8 and account_sid = $9";
    /// Deletes credential `$1` of account `$2`.
    pub DELETE = "delete from credentials where sid = $1 and account_sid = $2";
}

paged_sql! {
    /// A page of the credentials of account `$1`.
    pub LIST = ("seq", |tail| format!(
        "select {} from credentials where account_sid = $1 and {tail}",
        columns(CREDENTIAL_COLUMNS, "")
    ));
}
