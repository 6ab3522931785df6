//! Accounts and API keys on SQLite (SQL in `store::queries::accounts`).

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteStore, finish_page, is_unique_violation, other, query_first, query_rows};
use crate::store::queries::accounts as q;
use crate::store::queries::addresses as qa;
use crate::store::row::{self, Cursor};
use crate::store::{
    Account, AccountStore, AddressConfig, ApiKey, ConversationsAccount, Keyed, PageReq, SecretSlot, StoreError,
};
use crate::time;

#[async_trait]
impl AccountStore for SqliteStore {
    async fn insert_account(&self, a: &Account) -> Result<(), StoreError> {
        let a = a.clone();
        self.write(move |c| {
            c.prepare_cached(q::INSERT_ACCOUNT.sqlite())
                .and_then(|mut s| {
                    s.execute(params![
                        a.sid,
                        a.auth_token,
                        a.friendly_name,
                        time::format(&a.date_created)
                    ])
                })
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        StoreError::Conflict("account.sid")
                    } else {
                        other(e)
                    }
                })?;
            Ok(())
        })
        .await
    }

    async fn account(&self, sid: &str) -> Result<Option<Account>, StoreError> {
        self.read(|c| query_first(c, q::ACCOUNT.sqlite(), [sid], |r| row::account(r, 0)))
            .await
    }

    async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.read(|c| query_rows(c, q::ACCOUNTS.sqlite(), [], |r| row::account(r, 0)))
            .await
    }

    async fn insert_api_key(&self, k: &ApiKey) -> Result<(), StoreError> {
        let k = k.clone();
        self.write(move |c| {
            c.prepare_cached(q::INSERT_API_KEY.sqlite())
                .and_then(|mut s| {
                    s.execute(params![
                        k.sid,
                        k.account_sid,
                        k.secret,
                        k.friendly_name,
                        time::format(&k.date_created)
                    ])
                })
                .map_err(other)?;
            Ok(())
        })
        .await
    }

    async fn api_key(&self, sid: &str) -> Result<Option<ApiKey>, StoreError> {
        self.read(|c| query_first(c, q::API_KEY.sqlite(), [sid], |r| row::api_key(r, 0)))
            .await
    }

    async fn list_api_keys(&self, account_sid: &str) -> Result<Vec<ApiKey>, StoreError> {
        self.read(|c| query_rows(c, q::API_KEYS.sqlite(), [account_sid], |r| row::api_key(r, 0)))
            .await
    }

    async fn delete_api_key(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (account_sid, sid) = (account_sid.to_owned(), sid.to_owned());
        self.write(move |c| {
            let n = c
                .prepare_cached(q::DELETE_API_KEY.sqlite())
                .and_then(|mut s| s.execute([account_sid, sid]))
                .map_err(other)?;
            c.prepare_cached(q::BUMP_AUTH_EPOCH.sqlite())
                .and_then(|mut s| s.execute([]))
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    async fn reseal(&self, slot: SecretSlot, sid: &str, from: &str, to: &str) -> Result<bool, StoreError> {
        let (sid, from, to) = (sid.to_owned(), from.to_owned(), to.to_owned());
        self.write(move |c| {
            let n = c
                .prepare_cached(q::reseal(slot).sqlite())
                .and_then(|mut s| s.execute([to, sid, from]))
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    fn auth_epoch_is_local(&self) -> bool {
        true
    }

    async fn insert_address(&self, a: &AddressConfig) -> Result<(), StoreError> {
        let a = a.clone();
        let auto = serde_json::to_string(&a.auto_creation).map_err(StoreError::other)?;
        self.write(move |c| {
            c.prepare_cached(qa::INSERT.sqlite())
                .and_then(|mut s| {
                    s.execute(params![
                        a.sid,
                        a.account_sid,
                        a.address_type,
                        a.address,
                        a.friendly_name,
                        auto,
                        a.address_country,
                        time::format(&a.date_created),
                        time::format(&a.date_updated)
                    ])
                })
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        StoreError::Conflict("address.address")
                    } else {
                        other(e)
                    }
                })?;
            Ok(())
        })
        .await
    }

    async fn address(&self, account_sid: &str, key: &str) -> Result<Option<AddressConfig>, StoreError> {
        self.read(|c| query_first(c, qa::BY_KEY.sqlite(), [key, account_sid], |r| row::address(r, 0)))
            .await
            .map(|found| found.map(|k| k.item))
    }

    async fn list_addresses(
        &self,
        account_sid: &str,
        kind: Option<&str>,
        page: PageReq,
    ) -> Result<Vec<Keyed<AddressConfig>>, StoreError> {
        let (sql, bound, limit, reversed) = qa::LIST.pick(&page);
        self.read(|c| {
            let rows = query_rows(c, sql.sqlite(), params![account_sid, bound, limit, kind], |r| {
                row::address(r, 0)
            })?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_address(&self, a: &AddressConfig) -> Result<bool, StoreError> {
        let a = a.clone();
        let auto = serde_json::to_string(&a.auto_creation).map_err(StoreError::other)?;
        self.write(move |c| {
            let n = c
                .prepare_cached(qa::UPDATE.sqlite())
                .and_then(|mut s| {
                    s.execute(params![
                        a.friendly_name,
                        auto,
                        time::format(&a.date_updated),
                        a.sid,
                        a.account_sid
                    ])
                })
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_address(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (account_sid, sid) = (account_sid.to_owned(), sid.to_owned());
        self.write(move |c| {
            let n = c
                .prepare_cached(qa::DELETE.sqlite())
                .and_then(|mut s| s.execute([sid, account_sid]))
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    async fn conversations_account(&self, account_sid: &str) -> Result<Option<ConversationsAccount>, StoreError> {
        self.read(|c| {
            query_first(c, q::CONVERSATIONS_ACCOUNT.sqlite(), [account_sid], |r| {
                row::conversations_account(r, 0)
            })
        })
        .await
    }

    async fn put_conversations_account(
        &self,
        a: &ConversationsAccount,
        expected: Option<&str>,
    ) -> Result<bool, StoreError> {
        let settings = serde_json::to_string(&a.settings).map_err(StoreError::other)?;
        let (account, service) = (a.account_sid.clone(), a.default_service_sid.clone());
        let expected = expected.map(str::to_owned);
        self.write(move |c| {
            let n = match expected {
                None => c
                    .prepare_cached(q::INSERT_CONVERSATIONS_ACCOUNT.sqlite())
                    .and_then(|mut s| s.execute(params![account, service, settings])),
                Some(old) => c
                    .prepare_cached(q::UPDATE_CONVERSATIONS_ACCOUNT.sqlite())
                    .and_then(|mut s| s.execute(params![account, service, settings, old])),
            }
            .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    async fn auth_epoch(&self) -> Result<i64, StoreError> {
        self.read(|c| query_first(c, q::AUTH_EPOCH.sqlite(), [], |r| Cursor::new(r, 0).int()))
            .await?
            .ok_or_else(|| StoreError::other("auth_epoch row missing"))
    }
}
