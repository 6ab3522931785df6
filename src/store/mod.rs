//! Persistence: the operations the domain needs, behind one trait.
//!
//! Every method is one unit of work and runs in one transaction. The domain (`crate::chat`) only
//! sees the records defined in [`model`] and [`StoreError`]; it never sees SQL. The SQLite
//! implementation lives in [`sqlite`], the PostgreSQL one in [`postgres`]; both pass the same
//! tests.

pub mod access;
mod changes;
mod conversations;
pub mod copy;
mod media;
mod messaging;
pub mod model;
pub mod postgres;
pub mod presence;
pub mod queries;
pub mod row;
pub mod schema;
pub mod sql;
pub mod sqlite;
pub mod timers;

pub use access::{AccessStore, ChannelAccess};
use async_trait::async_trait;
pub use changes::{ChangeStore, NewChange};
pub use media::{AttachMedia, MediaStore};
pub use messaging::*;
pub use model::*;
pub use presence::{Flip, PresenceStore, Reachability, SocketPresence};
pub use timers::{ConversationTimers, TimerStore};

/// The cause carried by a [`StoreError`]: the driver's own error (kept as the source, never
/// flattened into text), or a message where there is no underlying error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; the text names it (for example `user.identity`).
    #[error("conflict on {0}")]
    Conflict(&'static str),
    /// The database could not be reached or is shutting down; worth a retry.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] BoxError),
    /// A stored value that cannot be read as its record expects (never replaced by a default).
    #[error("unreadable stored value in column {column}: {source}")]
    Unreadable {
        /// Position of the column in the row.
        column: usize,
        /// What was wrong with it.
        #[source]
        source: BoxError,
    },
    /// A reader's change position cannot be resumed from: changes after it may have been
    /// pruned, or it is beyond the last position (it comes from another database). The reader
    /// must resynchronise fully, then resume from `head.last_position`.
    #[error("change position {after} cannot be resumed (pruned through {}, last {})", head.pruned_through, head.last_position)]
    Resync {
        /// The position asked for.
        after: i64,
        /// Where the service's log stands.
        head: ChangeHead,
    },
    /// Anything else; for logs, never for clients.
    #[error("database error: {0}")]
    Other(#[source] BoxError),
}

impl StoreError {
    /// [`StoreError::Other`] caused by `e`.
    pub fn other(e: impl Into<BoxError>) -> Self {
        Self::Other(e.into())
    }

    /// [`StoreError::Other`] caused by `e`, saying what was being done (`e` stays the source).
    pub fn other_while(doing: impl Into<String>, e: impl Into<BoxError>) -> Self {
        Self::Other(Box::new(While {
            doing: doing.into(),
            source: e.into(),
        }))
    }

    /// [`StoreError::Unavailable`] caused by `e`.
    pub fn unavailable(e: impl Into<BoxError>) -> Self {
        Self::Unavailable(e.into())
    }
}

/// An error with what was being done when it happened.
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {source}")]
struct While {
    doing: String,
    #[source]
    source: BoxError,
}

/// Which slice of a keyset-ordered list to read. Keys are the rows' insertion sequence numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageReq {
    /// Read rows strictly after this key (in list order).
    pub after: Option<i64>,
    /// Read rows strictly before this key (in list order); used for `previous_page_url`.
    pub before: Option<i64>,
    /// Maximum rows to return; the store returns up to `limit + 1` so callers can see if more exist.
    pub limit: u32,
    /// List order is descending by key.
    pub desc: bool,
}

impl PageReq {
    /// Reads a page token: `PTa<key>` (rows after key) or `PTb<key>` (rows before key), as
    /// [`PageReq::token_after`] and [`PageReq::token_before`] write them; the `(after, before)`
    /// keys, or `None` for anything else.
    #[must_use]
    pub fn parse_token(t: &str) -> Option<(Option<i64>, Option<i64>)> {
        let rest = t.strip_prefix("PT")?;
        if let Some(n) = rest.strip_prefix('a') {
            return Some((Some(n.parse().ok()?), None));
        }
        let n = rest.strip_prefix('b')?;
        Some((None, Some(n.parse().ok()?)))
    }

    /// The token of the page after the row with `key`.
    #[must_use]
    pub fn token_after(key: i64) -> String {
        format!("PTa{key}")
    }

    /// The token of the page before the row with `key`.
    #[must_use]
    pub fn token_before(key: i64) -> String {
        format!("PTb{key}")
    }

    /// Trims the rows read for this request (up to `limit + 1`: one row of look-ahead) to the
    /// page; returns whether the look-ahead found more rows beyond it in the direction read
    /// (before the first row when paging back, after the last one otherwise).
    pub fn trim<T>(&self, rows: &mut Vec<Keyed<T>>) -> bool {
        let limit = self.limit as usize;
        let more = rows.len() > limit;
        if self.before.is_some() {
            if more {
                rows.remove(0);
            }
        } else {
            rows.truncate(limit);
        }
        more
    }

    /// The keyset part of a list query over column `key`, for either backend: the SQL tail
    /// (`bound` and `limit` are the placeholders of the bound key and the row limit, after the
    /// caller's scope), the bound key, the row limit, and whether rows come back reversed (put
    /// them back in list order with [`finish_page`]).
    #[must_use]
    pub fn keyset(&self, key: &str, bound: &str, limit: &str) -> (String, i64, i64, bool) {
        let (cmp, key_bound, order, reversed) = match (self.desc, self.after, self.before) {
            (false, _, Some(b)) => ("<", b, "desc", true),
            (false, a, None) => (">", a.unwrap_or(i64::MIN), "asc", false),
            (true, _, Some(b)) => (">", b, "asc", true),
            (true, a, None) => ("<", a.unwrap_or(i64::MAX), "desc", false),
        };
        (
            format!("{key} {cmp} {bound} order by {key} {order} limit {limit}"),
            key_bound,
            i64::from(self.limit) + 1,
            reversed,
        )
    }
}

/// Finishes a page read: puts rows back into list order.
#[must_use]
pub fn finish_page<T>(mut rows: Vec<Keyed<T>>, reversed: bool) -> Vec<Keyed<T>> {
    if reversed {
        rows.reverse();
    }
    rows
}

/// A row with its keyset key.
#[derive(Debug, Clone)]
pub struct Keyed<T> {
    /// The row's sequence key, used to build page tokens.
    pub key: i64,
    /// The row itself.
    pub item: T,
}

/// Accounts and API keys: the credentials REST clients authenticate with.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Inserts an account.
    async fn insert_account(&self, account: &Account) -> Result<(), StoreError>;
    /// Looks an account up by SID.
    async fn account(&self, sid: &str) -> Result<Option<Account>, StoreError>;
    /// All accounts, oldest first.
    async fn list_accounts(&self) -> Result<Vec<Account>, StoreError>;
    /// Inserts an API key.
    async fn insert_api_key(&self, key: &ApiKey) -> Result<(), StoreError>;
    /// Looks an API key up by SID.
    async fn api_key(&self, sid: &str) -> Result<Option<ApiKey>, StoreError>;
    /// The keys of one account, oldest first.
    async fn list_api_keys(&self, account_sid: &str) -> Result<Vec<ApiKey>, StoreError>;
    /// Deletes a key of an account; false when there was none. Bumps the auth epoch.
    async fn delete_api_key(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError>;
    /// A counter bumped whenever a credential is revoked; caches compare it to stay fresh.
    async fn auth_epoch(&self) -> Result<i64, StoreError>;
    /// Replaces a stored secret if it still reads `from` (sealing a legacy plain-text value);
    /// false when the row is gone or holds something else by now.
    async fn reseal(&self, slot: SecretSlot, sid: &str, from: &str, to: &str) -> Result<bool, StoreError>;
    /// Whether [`AccountStore::auth_epoch`] is a local read (no network round trip), cheap
    /// enough to poll every few milliseconds.
    fn auth_epoch_is_local(&self) -> bool {
        false
    }
    /// The account's Conversations configuration, if it was ever created.
    async fn conversations_account(&self, account_sid: &str) -> Result<Option<ConversationsAccount>, StoreError>;
    /// Writes an account's Conversations configuration. With `expected` `None` it is created
    /// only if the account has none yet; otherwise it replaces the stored one only while that
    /// still names `expected` as its default service. False when nothing was written.
    async fn put_conversations_account(
        &self,
        row: &ConversationsAccount,
        expected: Option<&str>,
    ) -> Result<bool, StoreError>;
    /// Inserts an address configuration. [`StoreError::Conflict`] (`address.address`) when
    /// the account has configured the address already.
    async fn insert_address(&self, address: &AddressConfig) -> Result<(), StoreError>;
    /// An address configuration of an account by SID or address.
    async fn address(&self, account_sid: &str, key: &str) -> Result<Option<AddressConfig>, StoreError>;
    /// A page of an account's address configurations, of one type when `kind` is given.
    async fn list_addresses(
        &self,
        account_sid: &str,
        kind: Option<&str>,
        page: PageReq,
    ) -> Result<Vec<Keyed<AddressConfig>>, StoreError>;
    /// Writes an address configuration's friendly name, auto creation and updated date.
    async fn update_address(&self, address: &AddressConfig) -> Result<bool, StoreError>;
    /// Deletes an address configuration; false when there was none.
    async fn delete_address(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError>;
}

/// A stored secret that [`AccountStore::reseal`] can replace (statements in
/// `store::queries::accounts::reseal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSlot {
    /// `accounts.auth_token`
    AuthToken,
    /// `api_keys.secret`
    ApiKey,
}

/// Chat services and everything under them.
#[async_trait]
pub trait ServiceStore: Send + Sync {
    /// Inserts a service together with its default roles.
    async fn insert_service(&self, service: &Service, roles: &[Role]) -> Result<(), StoreError>;
    /// Looks a service of an account up by SID.
    async fn service(&self, account_sid: &str, sid: &str) -> Result<Option<Service>, StoreError>;
    /// A page of an account's services in creation order.
    async fn list_services(&self, account_sid: &str, page: PageReq) -> Result<Vec<Keyed<Service>>, StoreError>;
    /// Writes `service` if its stored revision is still `service.revision - 1`; false otherwise.
    async fn update_service(&self, service: &Service) -> Result<bool, StoreError>;
    /// Deletes a service and every row under it; false when there was none.
    async fn delete_service(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError>;
}

/// Roles of a service.
#[async_trait]
pub trait RoleStore: Send + Sync {
    /// Inserts a role.
    async fn insert_role(&self, role: &Role) -> Result<(), StoreError>;
    /// Looks a role up by SID within a service.
    async fn role(&self, service_sid: &str, sid: &str) -> Result<Option<Role>, StoreError>;
    /// A page of a service's roles in creation order.
    async fn list_roles(&self, service_sid: &str, page: PageReq) -> Result<Vec<Keyed<Role>>, StoreError>;
    /// Replaces a role's permissions and `date_updated`; false when there was no such role.
    async fn update_role(&self, role: &Role) -> Result<bool, StoreError>;
    /// Deletes a role unless the service names it as a default or a user holds it.
    async fn delete_role(&self, service_sid: &str, sid: &str) -> Result<RoleDelete, StoreError>;
}

/// Outcome of [`RoleStore::delete_role`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleDelete {
    /// The role was deleted.
    Deleted,
    /// There was no such role.
    NotFound,
    /// The service uses the role as one of its defaults.
    IsDefault,
    /// Users or members still hold the role.
    InUse,
}

/// Users of a service.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a user. [`StoreError::Conflict`] (`user.identity`) when the identity is taken.
    async fn insert_user(&self, user: &User, outbox: &[OutboxRow]) -> Result<(), StoreError>;
    /// Looks a user up by SID or by identity within a service.
    async fn user(&self, service_sid: &str, key: &str) -> Result<Option<User>, StoreError>;
    /// A page of a service's users in creation order.
    async fn list_users(&self, service_sid: &str, page: PageReq) -> Result<Vec<Keyed<User>>, StoreError>;
    /// The users of the service among `identities`, in one read (any order; unknown
    /// identities are absent).
    async fn users_by_identity(&self, service_sid: &str, identities: &[String]) -> Result<Vec<User>, StoreError>;
    /// Writes the mutable fields of a user (role, attributes, friendly name, date_updated).
    async fn update_user(&self, user: &User, outbox: &[OutboxRow]) -> Result<bool, StoreError>;
    /// Deletes a user; false when there was none.
    async fn delete_user(&self, service_sid: &str, sid: &str) -> Result<bool, StoreError>;
    /// What `identity` holds in a service and, when `channel_sid` is given, in that channel:
    /// one read, for every request of an end user. `None` when there is no such user.
    async fn grants(
        &self,
        service_sid: &str,
        identity: &str,
        channel_sid: Option<&str>,
    ) -> Result<Option<Grants>, StoreError>;
}

/// What an identity holds: its user, its service role's permissions and, in one channel, its
/// membership, that member's channel role permissions and whether it is invited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// The user's SID.
    pub user_sid: String,
    /// Permissions of the user's service (deployment) role; empty without one.
    pub service_permissions: Vec<String>,
    /// The identity's member SID in the channel asked about.
    pub member_sid: Option<String>,
    /// Permissions of that member's channel role; empty when not a member or without a role.
    pub channel_permissions: Vec<String>,
    /// Whether the identity has a pending invite to the channel.
    pub invited: bool,
}

/// Push credentials of an account.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// Inserts a credential.
    async fn insert_credential(&self, credential: &Credential) -> Result<(), StoreError>;
    /// Looks a credential of an account up by SID.
    async fn credential(&self, account_sid: &str, sid: &str) -> Result<Option<Credential>, StoreError>;
    /// A page of an account's credentials in creation order.
    async fn list_credentials(&self, account_sid: &str, page: PageReq) -> Result<Vec<Keyed<Credential>>, StoreError>;
    /// Writes every mutable field of a credential; false when there was none.
    async fn update_credential(&self, credential: &Credential) -> Result<bool, StoreError>;
    /// Deletes a credential; false when there was none.
    async fn delete_credential(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError>;
}

/// Notices between the processes sharing one database (cache invalidation, events).
#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// Sends `payload` to every process on this database, this one included; `false` when the
    /// backend has no cross-process channel (SQLite: one process).
    async fn notify(&self, payload: &str) -> Result<bool, StoreError>;
    /// Receives the notices of every process, when the backend has them.
    fn notices(&self) -> Option<tokio::sync::broadcast::Receiver<String>>;
    /// Whether other processes may change the data (several nodes): then nothing that another
    /// node can change may be cached without invalidation.
    fn shared(&self) -> bool;
    /// Deletes an account with its keys, credentials and services; bumps the auth epoch.
    async fn delete_account(&self, sid: &str) -> Result<bool, StoreError>;
}

/// Everything Banter persists. `Arc<dyn Store>` lives in the application state.
pub trait Store:
    AccessStore
    + AccountStore
    + ServiceStore
    + RoleStore
    + UserStore
    + CredentialStore
    + ChannelStore
    + MemberStore
    + MessageStore
    + InviteStore
    + WebhookStore
    + BindingStore
    + OutboxStore
    + NoticeStore
    + ChangeStore
    + PresenceStore
    + MediaStore
    + TimerStore
{
}

impl<T> Store for T where
    T: AccessStore
        + AccountStore
        + ServiceStore
        + RoleStore
        + UserStore
        + CredentialStore
        + ChannelStore
        + MemberStore
        + MessageStore
        + InviteStore
        + WebhookStore
        + BindingStore
        + OutboxStore
        + NoticeStore
        + ChangeStore
        + PresenceStore
        + MediaStore
        + TimerStore
{
}
