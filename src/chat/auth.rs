//! Credential checks served from memory.
//!
//! The first request of a credential looks it up in the store; after that the secret lives in
//! this cache and a request costs one hash-map read and a constant-time compare.
//!
//! Revocations (deleting a key or an account) bump the store's *auth epoch*. Every cache entry
//! remembers the epoch read just before it was loaded, and entries older than the newest epoch
//! this process has seen are ignored. An entry loaded while a revocation commits therefore
//! cannot outlive it. The newest epoch is learned at once for revocations made in this process,
//! on a `NOTIFY` from another node (PostgreSQL), and otherwise by polling: every
//! [`LOCAL_EPOCH_POLL`] where the epoch is a local read (SQLite), every [`EPOCH_POLL`] over the
//! network (PostgreSQL).
//!
//! The process that revokes (the admin CLI) waits [`Chat::revocation_delay`], several poll
//! intervals, before it reports success, so when `banter key delete` returns, running servers
//! already refuse the key. (Reading the epoch on every request instead made `fetch Channel`
//! about 12% slower on SQLite.)

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use subtle::ConstantTimeEq;

use super::{Chat, ChatError};
use crate::sid;
use crate::store::Store;

/// How often the store's auth epoch is polled over the network (PostgreSQL, where `NOTIFY`
/// usually brings revocations sooner).
pub const EPOCH_POLL: Duration = Duration::from_millis(200);

/// How often the auth epoch is polled where reading it is local (SQLite: one row over the
/// watcher thread's read connection, about 200 reads a second).
pub const LOCAL_EPOCH_POLL: Duration = Duration::from_millis(5);

#[derive(Clone)]
struct Entry {
    secret: String,
    account_sid: String,
    epoch: i64,
}

/// An API key as Access Token verification needs it.
pub(super) struct SigningKey {
    /// The key's secret (opened).
    pub(super) secret: String,
    /// The key's account.
    pub(super) account_sid: String,
    /// The auth epoch read before the key was loaded.
    pub(super) epoch: i64,
}

/// Username (`AC…` or `SK…`) → secret and account.
pub struct AuthCache {
    entries: RwLock<HashMap<String, Entry>>,
    epoch: AtomicI64,
    /// Tells long-lived sessions (client sockets) that a revocation happened.
    revoked: tokio::sync::watch::Sender<i64>,
}

impl Default for AuthCache {
    fn default() -> Self {
        Self {
            entries: RwLock::default(),
            epoch: AtomicI64::new(0),
            revoked: tokio::sync::watch::Sender::new(0),
        }
    }
}

impl AuthCache {
    fn get(&self, username: &str) -> Option<Entry> {
        let current = self.epoch.load(Ordering::Acquire);
        self.entries
            .read()
            .ok()?
            .get(username)
            .filter(|e| e.epoch >= current)
            .cloned()
    }

    fn put(&self, username: &str, entry: Entry) {
        if let Ok(mut map) = self.entries.write() {
            map.insert(username.to_owned(), entry);
        }
    }

    /// Records the newest known epoch; older entries stop being used and are dropped.
    fn advance(&self, epoch: i64) {
        if self.epoch.fetch_max(epoch, Ordering::AcqRel) < epoch {
            if let Ok(mut map) = self.entries.write() {
                map.retain(|_, e| e.epoch >= epoch);
            }
            self.revoked.send_replace(epoch);
        }
    }

    /// Changes whenever this process learns of a revocation (a deleted key or account, on any
    /// node): whoever holds a credential for long re-checks it then.
    #[must_use]
    pub fn revocations(&self) -> tokio::sync::watch::Receiver<i64> {
        self.revoked.subscribe()
    }

    /// The newest auth epoch this process has seen.
    pub(super) fn epoch_seen(&self) -> i64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Reads the store's epoch now and advances to it.
    async fn refresh(&self, store: &dyn Store) {
        match store.auth_epoch().await {
            Ok(epoch) => self.advance(epoch),
            Err(e) => tracing::warn!(error = %e, "cannot read the auth epoch"),
        }
    }

    /// Polls the store's auth epoch until the process ends.
    pub async fn watch(self: Arc<Self>, store: Arc<dyn Store>) {
        let mut tick = tokio::time::interval(epoch_poll(store.as_ref()));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.refresh(store.as_ref()).await;
        }
    }
}

/// The polling interval of the auth epoch on `store`.
fn epoch_poll(store: &dyn Store) -> Duration {
    if store.auth_epoch_is_local() {
        LOCAL_EPOCH_POLL
    } else {
        EPOCH_POLL
    }
}

impl Chat {
    /// How long after a revocation commits every running server on the same database refuses
    /// the credential: ten poll intervals on SQLite (50 ms, leaving room for a busy scheduler),
    /// two and a half on PostgreSQL (500 ms; `NOTIFY` usually arrives within milliseconds).
    #[must_use]
    pub fn revocation_delay(&self) -> Duration {
        if self.store.auth_epoch_is_local() {
            LOCAL_EPOCH_POLL * 10
        } else {
            EPOCH_POLL * 5 / 2
        }
    }

    /// Checks an HTTP Basic credential and returns the account it acts for, or `None`.
    ///
    /// # Errors
    /// Only when the store fails on a cache miss.
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<Option<String>, ChatError> {
        let entry = match self.auth.get(username) {
            Some(entry) => Some(entry),
            None => self.load_credential(username).await?,
        };
        Ok(entry.and_then(|e| bool::from(e.secret.as_bytes().ct_eq(password.as_bytes())).then_some(e.account_sid)))
    }

    async fn load_credential(&self, username: &str) -> Result<Option<Entry>, ChatError> {
        // The epoch is read first: if a revocation commits after this point, it bumps the
        // epoch past the one recorded here and the entry is ignored as soon as that is seen.
        let epoch = self.store.auth_epoch().await?;
        self.auth.advance(epoch);
        let entry = if sid::is_sid(sid::ACCOUNT, username) {
            self.account(username).await?.map(|a| Entry {
                secret: a.auth_token,
                account_sid: a.sid,
                epoch,
            })
        } else if sid::is_sid(sid::API_KEY, username) {
            self.api_key(username).await?.map(|k| Entry {
                secret: k.secret,
                account_sid: k.account_sid,
                epoch,
            })
        } else {
            None
        };
        if let Some(e) = &entry {
            self.auth.put(username, e.clone());
        }
        Ok(entry)
    }

    /// The secret and account of API key `key_sid` from the credential cache (so a revoked key
    /// is refused as soon as its Basic credential is), with the epoch it was loaded at.
    ///
    /// # Errors
    /// Only when the store fails on a cache miss.
    pub(super) async fn signing_key(&self, key_sid: &str) -> Result<Option<SigningKey>, ChatError> {
        if !sid::is_sid(sid::API_KEY, key_sid) {
            return Ok(None);
        }
        let entry = match self.auth.get(key_sid) {
            Some(entry) => Some(entry),
            None => self.load_credential(key_sid).await?,
        };
        Ok(entry.map(|e| SigningKey {
            secret: e.secret,
            account_sid: e.account_sid,
            epoch: e.epoch,
        }))
    }

    /// The Auth Token of an account (signs its webhooks).
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown account; store failures.
    pub async fn auth_token(&self, account_sid: &str) -> Result<String, ChatError> {
        let entry = match self.auth.get(account_sid) {
            Some(e) => Some(e),
            None => self.load_credential(account_sid).await?,
        };
        entry.map(|e| e.secret).ok_or(ChatError::NotFound)
    }

    /// Starts the background revocation watcher and, where the store has cross-node notices,
    /// the listener that applies them (call once per server).
    pub fn spawn_auth_watcher(&self) {
        tokio::spawn(Arc::clone(&self.auth).watch(Arc::clone(&self.store)));
        if let Some(mut notices) = self.store.notices() {
            let (auth, store, bus) = (Arc::clone(&self.auth), Arc::clone(&self.store), self.bus.clone());
            let typing = self.typing.clone();
            tokio::spawn(async move {
                loop {
                    match notices.recv().await {
                        Ok(n) if n == "auth" || n == "reconnected" => auth.refresh(store.as_ref()).await,
                        Ok(n) => {
                            if let Some(event) = n.strip_prefix("event:").and_then(|j| serde_json::from_str(j).ok()) {
                                let _ = bus.send(event);
                            } else if let Some(t) = n
                                .strip_prefix(super::typing::NOTICE_PREFIX)
                                .and_then(|j| serde_json::from_str(j).ok())
                            {
                                let _ = typing.send(t);
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => auth.refresh(store.as_ref()).await,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
        }
    }

    /// Makes revocations of this process effective at once.
    pub(super) async fn forget_credentials(&self) {
        self.auth.refresh(self.store.as_ref()).await;
    }
}
