//! Accounts and API keys: operator actions (CLI and bootstrap), not part of the Chat API.

use super::{Chat, ChatError};
use crate::secrets::Secrets;
use crate::sid;
use crate::store::{Account, ApiKey, SecretSlot, StoreError};
use crate::time;

impl Chat {
    /// Creates an account with a fresh SID and auth token.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn create_account(&self, friendly_name: &str) -> Result<Account, ChatError> {
        let account = Account {
            sid: sid::generate(sid::ACCOUNT),
            auth_token: sid::secret(),
            friendly_name: friendly_name.to_owned(),
            date_created: time::now(),
        };
        self.store.insert_account(&self.sealed_account(&account)).await?;
        Ok(account)
    }

    /// Makes sure an account with exactly this SID and token exists (bootstrap for CI and
    /// containers). An existing account with another token is an error, never silently changed.
    ///
    /// # Errors
    /// 20001 for a malformed SID or a token that differs from the stored one.
    pub async fn ensure_account(&self, account_sid: &str, auth_token: &str) -> Result<Account, ChatError> {
        if !sid::is_sid(sid::ACCOUNT, account_sid) {
            return Err(ChatError::invalid(
                "BANTER_ACCOUNT_SID",
                "must be AC followed by 32 hex digits",
            ));
        }
        if auth_token.is_empty() {
            return Err(ChatError::invalid("BANTER_AUTH_TOKEN", "must not be empty"));
        }
        if let Some(existing) = self.account(account_sid).await? {
            if existing.auth_token != auth_token {
                return Err(ChatError::invalid(
                    "BANTER_AUTH_TOKEN",
                    "differs from the stored token of this account",
                ));
            }
            return Ok(existing);
        }
        let account = Account {
            sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            friendly_name: "bootstrap".to_owned(),
            date_created: time::now(),
        };
        match self.store.insert_account(&self.sealed_account(&account)).await {
            Ok(()) => Ok(account),
            // Another node bootstrapped the same account at the same moment: check its token.
            Err(crate::store::StoreError::Conflict(_)) => match self.account(account_sid).await? {
                Some(existing) if existing.auth_token == auth_token => Ok(existing),
                _ => Err(ChatError::invalid(
                    "BANTER_AUTH_TOKEN",
                    "differs from the stored token of this account",
                )),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Every account, oldest first.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, ChatError> {
        Ok(self.store.list_accounts().await?)
    }

    /// Creates an API key for an account.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] when the account does not exist.
    pub async fn create_api_key(&self, account_sid: &str, friendly_name: &str) -> Result<ApiKey, ChatError> {
        if self.store.account(account_sid).await?.is_none() {
            return Err(ChatError::NotFound);
        }
        let key = ApiKey {
            sid: sid::generate(sid::API_KEY),
            account_sid: account_sid.to_owned(),
            secret: sid::secret(),
            friendly_name: friendly_name.to_owned(),
            date_created: time::now(),
        };
        let mut sealed = key.clone();
        sealed.secret = self.secrets.seal(&secret_context("api_key", &key.sid), &key.secret);
        self.store.insert_api_key(&sealed).await?;
        Ok(key)
    }

    /// The API keys of an account.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn list_api_keys(&self, account_sid: &str) -> Result<Vec<ApiKey>, ChatError> {
        Ok(self.store.list_api_keys(account_sid).await?)
    }

    /// Deletes an API key. It stops authenticating here at once, and this returns only after
    /// [`Chat::revocation_delay`], by when running servers on the same database refuse it too.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] when the account has no such key.
    pub async fn delete_api_key(&self, account_sid: &str, key_sid: &str) -> Result<(), ChatError> {
        let deleted = self.store.delete_api_key(account_sid, key_sid).await?;
        self.forget_credentials().await;
        if !deleted {
            return Err(ChatError::NotFound);
        }
        tokio::time::sleep(self.revocation_delay()).await;
        Ok(())
    }

    /// Deletes an account with its keys, credentials and services. Its credentials stop
    /// working here at once, and this returns only after [`Chat::revocation_delay`], by when
    /// running servers on the same database refuse them too.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] when there is no such account.
    pub async fn delete_account(&self, account_sid: &str) -> Result<(), ChatError> {
        let deleted = self.store.delete_account(account_sid).await?;
        self.forget_credentials().await;
        self.services.invalidate(|_, s| s.account_sid == account_sid);
        if !deleted {
            return Err(ChatError::NotFound);
        }
        tokio::time::sleep(self.revocation_delay()).await;
        Ok(())
    }
}

/// What a sealed secret is bound to: its field and its row.
pub(super) fn secret_context(field: &str, sid: &str) -> String {
    format!("{field}:{sid}")
}

impl Chat {
    /// `account` as stored: its auth token sealed.
    fn sealed_account(&self, account: &Account) -> Account {
        let mut sealed = account.clone();
        sealed.auth_token = self
            .secrets
            .seal(&secret_context("auth_token", &account.sid), &account.auth_token);
        sealed
    }

    /// An account with its auth token opened.
    ///
    /// # Errors
    /// When the store fails or the token was sealed with another key.
    pub(super) async fn account(&self, sid: &str) -> Result<Option<Account>, ChatError> {
        let Some(mut account) = self.store.account(sid).await? else {
            return Ok(None);
        };
        account.auth_token = self.open_secret("auth_token", sid, &account.auth_token)?;
        Ok(Some(account))
    }

    /// An API key with its secret opened.
    ///
    /// # Errors
    /// When the store fails or the secret was sealed with another key.
    pub(super) async fn api_key(&self, sid: &str) -> Result<Option<ApiKey>, ChatError> {
        let Some(mut key) = self.store.api_key(sid).await? else {
            return Ok(None);
        };
        key.secret = self.open_secret("api_key", sid, &key.secret)?;
        Ok(Some(key))
    }

    /// Opens a stored secret of `field` in row `sid`.
    pub(super) fn open_secret(&self, field: &str, sid: &str, stored: &str) -> Result<String, ChatError> {
        self.secrets
            .open(&secret_context(field, sid), stored)
            .map_err(|e| ChatError::Store(StoreError::other(format!("{field} of {sid}: {e}"))))
    }

    /// Seals `plain` for `field` of row `sid`.
    pub(super) fn seal_secret(&self, field: &str, sid: &str, plain: &str) -> String {
        self.secrets.seal(&secret_context(field, sid), plain)
    }

    /// Checks that this process's server key opens the secrets already stored (the first sealed
    /// auth token is enough: one database has one key). Operator commands call this before
    /// they write, so that a command run with another key cannot store secrets the server
    /// cannot read.
    ///
    /// # Errors
    /// When a stored secret does not open with this key, or the store fails.
    pub async fn check_secrets(&self) -> Result<(), ChatError> {
        let accounts = self.store.list_accounts().await?;
        if let Some(a) = accounts.iter().find(|a| Secrets::is_sealed(&a.auth_token)) {
            self.open_secret("auth_token", &a.sid, &a.auth_token)?;
        }
        Ok(())
    }

    /// Start-up check and upgrade: fails when stored secrets were sealed with another key, and
    /// seals secrets that an earlier version stored in plain text. Returns how many it sealed.
    ///
    /// # Errors
    /// When a stored secret does not open with this key, or the store fails.
    pub async fn seal_stored_secrets(&self) -> Result<usize, ChatError> {
        let mut sealed = 0;
        for account in self.store.list_accounts().await? {
            self.open_secret("auth_token", &account.sid, &account.auth_token)?;
            if !Secrets::is_sealed(&account.auth_token) {
                let to = self.seal_secret("auth_token", &account.sid, &account.auth_token);
                if self
                    .store
                    .reseal(SecretSlot::AuthToken, &account.sid, &account.auth_token, &to)
                    .await?
                {
                    sealed += 1;
                }
            }
            for key in self.store.list_api_keys(&account.sid).await? {
                self.open_secret("api_key", &key.sid, &key.secret)?;
                if !Secrets::is_sealed(&key.secret) {
                    let to = self.seal_secret("api_key", &key.sid, &key.secret);
                    if self
                        .store
                        .reseal(SecretSlot::ApiKey, &key.sid, &key.secret, &to)
                        .await?
                    {
                        sealed += 1;
                    }
                }
            }
            sealed += self.seal_stored_credentials(&account.sid).await?;
        }
        Ok(sealed)
    }
}
