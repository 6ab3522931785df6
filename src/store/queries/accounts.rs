//! Accounts, API keys and the auth epoch.

use crate::shared_sql;
use crate::store::SecretSlot;
use crate::store::row::{ACCOUNT_COLUMNS, API_KEY_COLUMNS, CONVERSATIONS_ACCOUNT_COLUMNS, columns};
use crate::store::sql::Sql;

shared_sql! {
    /// Inserts an account: sid, auth token, friendly name, created.
    pub INSERT_ACCOUNT =
        "insert into accounts (sid, auth_token, friendly_name, date_created) values ($1, $2, $3, $4)";
    /// The account with SID `$1`.
    pub ACCOUNT = format!("select {} from accounts where sid = $1", columns(ACCOUNT_COLUMNS, ""));
    /// Every account, oldest first.
    pub ACCOUNTS = format!("select {} from accounts order by seq", columns(ACCOUNT_COLUMNS, ""));
    /// Inserts an API key: sid, account, secret, friendly name, created.
    pub INSERT_API_KEY = "insert into api_keys (sid, account_sid, secret, friendly_name, date_created) \
        values ($1, $2, $3, $4, $5)";
    /// The API key with SID `$1`.
    pub API_KEY = format!("select {} from api_keys where sid = $1", columns(API_KEY_COLUMNS, ""));
    /// The API keys of account `$1`, oldest first.
    pub API_KEYS = format!(
        "select {} from api_keys where account_sid = $1 order by seq",
        columns(API_KEY_COLUMNS, "")
    );
    /// Deletes API key `$2` of account `$1`.
    pub DELETE_API_KEY = "delete from api_keys where account_sid = $1 and sid = $2";
    /// Bumps the auth epoch (after a revocation).
    pub BUMP_AUTH_EPOCH = "update auth_epoch set epoch = epoch + 1 where id = 1";
    /// The auth epoch.
    pub AUTH_EPOCH = "select epoch from auth_epoch where id = 1";
    /// Replaces account `$2`'s auth token by `$1` if it still reads `$3`.
    pub RESEAL_AUTH_TOKEN = "update accounts set auth_token = $1 where sid = $2 and auth_token = $3";
    /// Account `$1`'s Conversations configuration.
    pub CONVERSATIONS_ACCOUNT = format!(
        "select {} from conversations_accounts where account_sid = $1",
        columns(CONVERSATIONS_ACCOUNT_COLUMNS, "")
    );
    /// Creates account `$1`'s Conversations configuration (default service `$2`, settings `$3`)
    /// unless it has one.
    pub INSERT_CONVERSATIONS_ACCOUNT = "insert into conversations_accounts (account_sid, default_service_sid, \
        settings) values ($1, $2, $3) on conflict (account_sid) do nothing";
    /// Replaces account `$1`'s Conversations configuration by (`$2`, `$3`) while its default
    /// service is still `$4`.
    pub UPDATE_CONVERSATIONS_ACCOUNT = "update conversations_accounts set default_service_sid = $2, \
        settings = $3 where account_sid = $1 and default_service_sid = $4";
    /// Replaces API key `$2`'s secret by `$1` if it still reads `$3`.
    pub RESEAL_API_KEY = "update api_keys set secret = $1 where sid = $2 and secret = $3";
}

/// The statement that replaces the secret in `slot`: `$1` the new value, `$2` the row's SID,
/// `$3` the value it must still hold.
#[must_use]
pub fn reseal(slot: SecretSlot) -> &'static Sql {
    match slot {
        SecretSlot::AuthToken => &RESEAL_AUTH_TOKEN,
        SecretSlot::ApiKey => &RESEAL_API_KEY,
    }
}
