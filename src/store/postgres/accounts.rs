//! Accounts and API keys on PostgreSQL (SQL in `store::queries::accounts`).

use async_trait::async_trait;

use super::{PgStore, conflict, execute, finish_page, map_rows};
use crate::store::queries::accounts as q;
use crate::store::queries::addresses as qa;
use crate::store::row::{self, Cursor};
use crate::store::{
    Account, AccountStore, AddressConfig, ApiKey, ConversationsAccount, Keyed, PageReq, SecretSlot, StoreError,
};
use crate::time;

#[async_trait]
impl AccountStore for PgStore {
    async fn insert_account(&self, a: &Account) -> Result<(), StoreError> {
        self.write(a, |t, a| {
            Box::pin(async move {
                execute(
                    t,
                    q::INSERT_ACCOUNT.pg(),
                    &[&a.sid, &a.auth_token, &a.friendly_name, &time::format(&a.date_created)],
                )
                .await
                .map_err(|e| conflict(e, "account.sid"))?;
                Ok(())
            })
        })
        .await
    }

    async fn account(&self, sid: &str) -> Result<Option<Account>, StoreError> {
        let rows = self.read(q::ACCOUNT.pg(), &[&sid]).await?;
        Ok(map_rows(&rows, |r| row::account(r, 0))?.pop())
    }

    async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows = self.read(q::ACCOUNTS.pg(), &[]).await?;
        map_rows(&rows, |r| row::account(r, 0))
    }

    async fn insert_api_key(&self, k: &ApiKey) -> Result<(), StoreError> {
        self.write(k, |t, k| {
            Box::pin(async move {
                execute(
                    t,
                    q::INSERT_API_KEY.pg(),
                    &[
                        &k.sid,
                        &k.account_sid,
                        &k.secret,
                        &k.friendly_name,
                        &time::format(&k.date_created),
                    ],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn api_key(&self, sid: &str) -> Result<Option<ApiKey>, StoreError> {
        let rows = self.read(q::API_KEY.pg(), &[&sid]).await?;
        Ok(map_rows(&rows, |r| row::api_key(r, 0))?.pop())
    }

    async fn list_api_keys(&self, account_sid: &str) -> Result<Vec<ApiKey>, StoreError> {
        let rows = self.read(q::API_KEYS.pg(), &[&account_sid]).await?;
        map_rows(&rows, |r| row::api_key(r, 0))
    }

    async fn delete_api_key(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError> {
        self.write(&(account_sid, sid), |t, (account_sid, sid)| {
            Box::pin(async move {
                let n = execute(t, q::DELETE_API_KEY.pg(), &[account_sid, sid]).await?;
                execute(t, q::BUMP_AUTH_EPOCH.pg(), &[]).await?;
                // Other nodes hear of the revocation at once (see `notices.rs`).
                execute(t, "select pg_notify('banter', 'auth')", &[]).await?;
                Ok(n > 0)
            })
        })
        .await
    }

    async fn reseal(&self, slot: SecretSlot, sid: &str, from: &str, to: &str) -> Result<bool, StoreError> {
        self.write(&(q::reseal(slot), to, sid, from), |t, (sql, to, sid, from)| {
            Box::pin(async move { Ok(execute(t, sql.pg(), &[to, sid, from]).await? > 0) })
        })
        .await
    }

    async fn insert_address(&self, a: &AddressConfig) -> Result<(), StoreError> {
        let auto = serde_json::to_string(&a.auto_creation).map_err(StoreError::other)?;
        self.write(&(a, auto), |t, (a, auto)| {
            Box::pin(async move {
                execute(
                    t,
                    qa::INSERT.pg(),
                    &[
                        &a.sid,
                        &a.account_sid,
                        &a.address_type,
                        &a.address,
                        &a.friendly_name,
                        auto,
                        &a.address_country,
                        &time::format(&a.date_created),
                        &time::format(&a.date_updated),
                    ],
                )
                .await
                .map_err(|e| conflict(e, "address.address"))?;
                Ok(())
            })
        })
        .await
    }

    async fn address(&self, account_sid: &str, key: &str) -> Result<Option<AddressConfig>, StoreError> {
        let rows = self.read(qa::BY_KEY.pg(), &[&key, &account_sid]).await?;
        Ok(map_rows(&rows, |r| row::address(r, 0))?.pop().map(|k| k.item))
    }

    async fn list_addresses(
        &self,
        account_sid: &str,
        kind: Option<&str>,
        page: PageReq,
    ) -> Result<Vec<Keyed<AddressConfig>>, StoreError> {
        let (sql, bound, limit, reversed) = qa::LIST.pick(&page);
        let rows = self.read(sql.pg(), &[&account_sid, &bound, &limit, &kind]).await?;
        Ok(finish_page(map_rows(&rows, |r| row::address(r, 0))?, reversed))
    }

    async fn update_address(&self, a: &AddressConfig) -> Result<bool, StoreError> {
        let auto = serde_json::to_string(&a.auto_creation).map_err(StoreError::other)?;
        self.write(&(a, auto), |t, (a, auto)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    qa::UPDATE.pg(),
                    &[
                        &a.friendly_name,
                        auto,
                        &time::format(&a.date_updated),
                        &a.sid,
                        &a.account_sid,
                    ],
                )
                .await?;
                Ok(n > 0)
            })
        })
        .await
    }

    async fn delete_address(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError> {
        self.write(&(account_sid, sid), |t, (account_sid, sid)| {
            Box::pin(async move { Ok(execute(t, qa::DELETE.pg(), &[sid, account_sid]).await? > 0) })
        })
        .await
    }

    async fn conversations_account(&self, account_sid: &str) -> Result<Option<ConversationsAccount>, StoreError> {
        let rows = self.read(q::CONVERSATIONS_ACCOUNT.pg(), &[&account_sid]).await?;
        Ok(map_rows(&rows, |r| row::conversations_account(r, 0))?.pop())
    }

    async fn put_conversations_account(
        &self,
        a: &ConversationsAccount,
        expected: Option<&str>,
    ) -> Result<bool, StoreError> {
        let settings = serde_json::to_string(&a.settings).map_err(StoreError::other)?;
        let args = (
            a.account_sid.as_str(),
            a.default_service_sid.as_str(),
            settings,
            expected,
        );
        self.write(&args, |t, (account, service, settings, expected)| {
            Box::pin(async move {
                let n = match expected {
                    None => execute(t, q::INSERT_CONVERSATIONS_ACCOUNT.pg(), &[account, service, settings]).await?,
                    Some(old) => {
                        execute(
                            t,
                            q::UPDATE_CONVERSATIONS_ACCOUNT.pg(),
                            &[account, service, settings, old],
                        )
                        .await?
                    }
                };
                Ok(n > 0)
            })
        })
        .await
    }

    async fn auth_epoch(&self) -> Result<i64, StoreError> {
        let rows = self.read(q::AUTH_EPOCH.pg(), &[]).await?;
        let epochs = map_rows(&rows, |r| Cursor::new(r, 0).int())?;
        epochs
            .first()
            .copied()
            .ok_or_else(|| StoreError::other("auth_epoch row missing"))
    }
}
