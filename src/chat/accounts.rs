//! Accounts and API keys: operator actions (CLI and bootstrap), not part of the Chat API.

use super::{Chat, ChatError};
use crate::sid;
use crate::store::{Account, ApiKey};
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
        self.store.insert_account(&account).await?;
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
        if let Some(existing) = self.store.account(account_sid).await? {
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
        match self.store.insert_account(&account).await {
            Ok(()) => Ok(account),
            // Another node bootstrapped the same account at the same moment: check its token.
            Err(crate::store::StoreError::Conflict(_)) => match self.store.account(account_sid).await? {
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
        self.store.insert_api_key(&key).await?;
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
        if let Ok(mut services) = self.services.write() {
            services.retain(|_, s| s.account_sid != account_sid);
        }
        if !deleted {
            return Err(ChatError::NotFound);
        }
        tokio::time::sleep(self.revocation_delay()).await;
        Ok(())
    }
}
