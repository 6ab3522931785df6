//! Credential checks served from memory.
//!
//! The first request of a credential looks it up in the store; after that the secret lives in
//! this cache and a request costs one hash-map read and a constant-time compare. Revocations
//! clear the cache: directly when they happen in this process, and through the store's auth
//! epoch (polled by [`AuthCache::watch`]) when another process revoked a key.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use subtle::ConstantTimeEq;

use super::{Chat, ChatError};
use crate::sid;
use crate::store::Store;

/// How often the store's auth epoch is polled for revocations made by other processes.
pub const EPOCH_POLL: Duration = Duration::from_millis(200);

#[derive(Clone)]
struct Entry {
    secret: String,
    account_sid: String,
}

/// Username (`AC…` or `SK…`) → secret and account.
#[derive(Default)]
pub struct AuthCache {
    entries: RwLock<HashMap<String, Entry>>,
    epoch: AtomicI64,
}

impl AuthCache {
    fn get(&self, username: &str) -> Option<Entry> {
        self.entries.read().ok()?.get(username).cloned()
    }

    fn put(&self, username: &str, entry: Entry) {
        if let Ok(mut map) = self.entries.write() {
            map.insert(username.to_owned(), entry);
        }
    }

    /// Forgets every cached credential.
    pub fn clear(&self) {
        if let Ok(mut map) = self.entries.write() {
            map.clear();
        }
    }

    /// Polls the store's auth epoch until the process ends, clearing the cache on change.
    pub async fn watch(self: Arc<Self>, store: Arc<dyn Store>) {
        let mut tick = tokio::time::interval(EPOCH_POLL);
        loop {
            tick.tick().await;
            match store.auth_epoch().await {
                Ok(epoch) => {
                    if self.epoch.swap(epoch, Ordering::Relaxed) != epoch {
                        self.clear();
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the auth epoch"),
            }
        }
    }
}

impl Chat {
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
        let entry = if sid::is_sid(sid::ACCOUNT, username) {
            self.store.account(username).await?.map(|a| Entry {
                secret: a.auth_token,
                account_sid: a.sid,
            })
        } else if sid::is_sid(sid::API_KEY, username) {
            self.store.api_key(username).await?.map(|k| Entry {
                secret: k.secret,
                account_sid: k.account_sid,
            })
        } else {
            None
        };
        if let Some(e) = &entry {
            self.auth.put(username, e.clone());
        }
        Ok(entry)
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

    /// Starts the background revocation watcher (call once per server).
    pub fn spawn_auth_watcher(&self) {
        tokio::spawn(Arc::clone(&self.auth).watch(Arc::clone(&self.store)));
    }

    pub(super) fn forget_credentials(&self) {
        self.auth.clear();
    }
}
