//! Accounts and API keys on SQLite.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, is_unique_violation, other, ts};
use crate::store::{Account, AccountStore, ApiKey, SecretSlot, StoreError};
use crate::time;

fn account_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        sid: r.get(0)?,
        auth_token: r.get(1)?,
        friendly_name: r.get(2)?,
        date_created: ts(&r.get::<_, String>(3)?),
    })
}

fn key_row(r: &Row<'_>) -> rusqlite::Result<ApiKey> {
    Ok(ApiKey {
        sid: r.get(0)?,
        account_sid: r.get(1)?,
        secret: r.get(2)?,
        friendly_name: r.get(3)?,
        date_created: ts(&r.get::<_, String>(4)?),
    })
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn insert_account(&self, a: &Account) -> Result<(), StoreError> {
        let a = a.clone();
        self.write(move |c| {
            c.prepare_cached(
                "insert into accounts (sid, auth_token, friendly_name, date_created) values (?1, ?2, ?3, ?4)",
            )
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
        let sid = sid.to_owned();
        self.read(move |c| {
            c.prepare_cached("select sid, auth_token, friendly_name, date_created from accounts where sid = ?1")
                .and_then(|mut s| s.query_row([sid], account_row).optional())
                .map_err(other)
        })
        .await
    }

    async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.read(|c| {
            let mut s = c
                .prepare_cached("select sid, auth_token, friendly_name, date_created from accounts order by seq")
                .map_err(other)?;
            s.query_map([], account_row).and_then(Iterator::collect).map_err(other)
        })
        .await
    }

    async fn insert_api_key(&self, k: &ApiKey) -> Result<(), StoreError> {
        let k = k.clone();
        self.write(move |c| {
            c.prepare_cached(
                "insert into api_keys (sid, account_sid, secret, friendly_name, date_created) values (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut s| {
                s.execute(params![k.sid, k.account_sid, k.secret, k.friendly_name, time::format(&k.date_created)])
            })
            .map_err(other)?;
            Ok(())
        })
        .await
    }

    async fn api_key(&self, sid: &str) -> Result<Option<ApiKey>, StoreError> {
        let sid = sid.to_owned();
        self.read(move |c| {
            c.prepare_cached(
                "select sid, account_sid, secret, friendly_name, date_created from api_keys where sid = ?1",
            )
            .and_then(|mut s| s.query_row([sid], key_row).optional())
            .map_err(other)
        })
        .await
    }

    async fn list_api_keys(&self, account_sid: &str) -> Result<Vec<ApiKey>, StoreError> {
        let account_sid = account_sid.to_owned();
        self.read(move |c| {
            let mut s = c
                .prepare_cached(
                    "select sid, account_sid, secret, friendly_name, date_created from api_keys where account_sid = ?1 order by seq",
                )
                .map_err(other)?;
            s.query_map([account_sid], key_row).and_then(Iterator::collect).map_err(other)
        })
        .await
    }

    async fn delete_api_key(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (account_sid, sid) = (account_sid.to_owned(), sid.to_owned());
        self.write(move |c| {
            let n = c
                .execute(
                    "delete from api_keys where account_sid = ?1 and sid = ?2",
                    [account_sid, sid],
                )
                .map_err(other)?;
            c.execute("update auth_epoch set epoch = epoch + 1 where id = 1", [])
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    async fn reseal(&self, slot: SecretSlot, sid: &str, from: &str, to: &str) -> Result<bool, StoreError> {
        let (sid, from, to) = (sid.to_owned(), from.to_owned(), to.to_owned());
        let sql = slot.update_sql(|n| format!("?{n}"));
        self.write(move |c| Ok(c.execute(&sql, [to, sid, from]).map_err(other)? > 0))
            .await
    }

    fn auth_epoch_is_local(&self) -> bool {
        true
    }

    async fn auth_epoch(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            c.prepare_cached("select epoch from auth_epoch where id = 1")
                .and_then(|mut s| s.query_row([], |r| r.get(0)))
                .map_err(other)
        })
        .await
    }
}
