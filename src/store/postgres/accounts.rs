//! Accounts and API keys on PostgreSQL.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::{PgStore, conflict, execute, map_rows, ts};
use crate::store::{Account, AccountStore, ApiKey, SecretSlot, StoreError};
use crate::time;

fn account_row(r: &Row) -> Result<Account, StoreError> {
    Ok(Account {
        sid: r.try_get(0)?,
        auth_token: r.try_get(1)?,
        friendly_name: r.try_get(2)?,
        date_created: ts(r.try_get(3)?),
    })
}

fn key_row(r: &Row) -> Result<ApiKey, StoreError> {
    Ok(ApiKey {
        sid: r.try_get(0)?,
        account_sid: r.try_get(1)?,
        secret: r.try_get(2)?,
        friendly_name: r.try_get(3)?,
        date_created: ts(r.try_get(4)?),
    })
}

#[async_trait]
impl AccountStore for PgStore {
    async fn insert_account(&self, a: &Account) -> Result<(), StoreError> {
        self.write(a, |t, a| {
            Box::pin(async move {
                execute(
                    t,
                    "insert into accounts (sid, auth_token, friendly_name, date_created) values ($1, $2, $3, $4)",
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
        let rows = self
            .read(
                "select sid, auth_token, friendly_name, date_created from accounts where sid = $1",
                &[&sid],
            )
            .await?;
        Ok(map_rows(&rows, account_row)?.pop())
    }

    async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows = self
            .read(
                "select sid, auth_token, friendly_name, date_created from accounts order by seq",
                &[],
            )
            .await?;
        map_rows(&rows, account_row)
    }

    async fn insert_api_key(&self, k: &ApiKey) -> Result<(), StoreError> {
        self.write(k, |t, k| {
            Box::pin(async move {
                execute(
                    t,
                    "insert into api_keys (sid, account_sid, secret, friendly_name, date_created) \
                     values ($1, $2, $3, $4, $5)",
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
        let rows = self
            .read(
                "select sid, account_sid, secret, friendly_name, date_created from api_keys where sid = $1",
                &[&sid],
            )
            .await?;
        Ok(map_rows(&rows, key_row)?.pop())
    }

    async fn list_api_keys(&self, account_sid: &str) -> Result<Vec<ApiKey>, StoreError> {
        let rows = self
            .read(
                "select sid, account_sid, secret, friendly_name, date_created from api_keys \
                 where account_sid = $1 order by seq",
                &[&account_sid],
            )
            .await?;
        map_rows(&rows, key_row)
    }

    async fn delete_api_key(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError> {
        self.write(&(account_sid, sid), |t, (account_sid, sid)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    "delete from api_keys where account_sid = $1 and sid = $2",
                    &[account_sid, sid],
                )
                .await?;
                execute(t, "update auth_epoch set epoch = epoch + 1 where id = 1", &[]).await?;
                execute(t, "select pg_notify('banter', 'auth')", &[]).await?;
                Ok(n > 0)
            })
        })
        .await
    }

    async fn reseal(&self, slot: SecretSlot, sid: &str, from: &str, to: &str) -> Result<bool, StoreError> {
        let sql = slot.update_sql(|n| format!("${n}"));
        self.write(&(sql.as_str(), to, sid, from), |t, (sql, to, sid, from)| {
            Box::pin(async move { Ok(execute(t, sql, &[to, sid, from]).await? > 0) })
        })
        .await
    }

    async fn auth_epoch(&self) -> Result<i64, StoreError> {
        let rows = self.read("select epoch from auth_epoch where id = 1", &[]).await?;
        let epochs = map_rows(&rows, |r| Ok(r.try_get::<_, i64>(0)?))?;
        epochs
            .first()
            .copied()
            .ok_or_else(|| StoreError::other("auth_epoch row missing"))
    }
}
