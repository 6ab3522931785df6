//! Push credentials on PostgreSQL. Secrets are stored; the HTTP layer never renders them.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::{PgStore, execute, finish_page, map_rows, page_clause, ts};
use crate::store::{Credential, CredentialStore, Keyed, PageReq, StoreError};
use crate::time;

const COLUMNS: &str = "seq, sid, account_sid, friendly_name, type, sandbox, certificate, private_key, api_key, \
                       secret, date_created, date_updated";

fn credential_row(r: &Row) -> Result<Keyed<Credential>, StoreError> {
    Ok(Keyed {
        key: r.try_get(0)?,
        item: Credential {
            sid: r.try_get(1)?,
            account_sid: r.try_get(2)?,
            friendly_name: r.try_get(3)?,
            credential_type: r.try_get(4)?,
            sandbox: r.try_get(5)?,
            certificate: r.try_get(6)?,
            private_key: r.try_get(7)?,
            api_key: r.try_get(8)?,
            secret: r.try_get(9)?,
            date_created: ts(r.try_get(10)?),
            date_updated: ts(r.try_get(11)?),
        },
    })
}

#[async_trait]
impl CredentialStore for PgStore {
    async fn insert_credential(&self, cr: &Credential) -> Result<(), StoreError> {
        self.write(cr, |t, cr| {
            Box::pin(async move {
                execute(
                    t,
                    "insert into credentials (sid, account_sid, friendly_name, type, sandbox, certificate, private_key, \
                     api_key, secret, date_created, date_updated) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    &[
                        &cr.sid,
                        &cr.account_sid,
                        &cr.friendly_name,
                        &cr.credential_type,
                        &cr.sandbox,
                        &cr.certificate,
                        &cr.private_key,
                        &cr.api_key,
                        &cr.secret,
                        &time::format(&cr.date_created),
                        &time::format(&cr.date_updated),
                    ],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn credential(&self, account_sid: &str, sid: &str) -> Result<Option<Credential>, StoreError> {
        let rows = self
            .read(
                &format!("select {COLUMNS} from credentials where sid = $1 and account_sid = $2"),
                &[&sid, &account_sid],
            )
            .await?;
        Ok(map_rows(&rows, credential_row)?.pop().map(|k| k.item))
    }

    async fn list_credentials(&self, account_sid: &str, page: PageReq) -> Result<Vec<Keyed<Credential>>, StoreError> {
        let (tail, bound, limit, reversed) = page_clause("seq", &page);
        let rows = self
            .read(
                &format!("select {COLUMNS} from credentials where account_sid = $1 and {tail}"),
                &[&account_sid, &bound, &limit],
            )
            .await?;
        Ok(finish_page(map_rows(&rows, credential_row)?, reversed))
    }

    async fn update_credential(&self, cr: &Credential) -> Result<bool, StoreError> {
        self.write(cr, |t, cr| {
            Box::pin(async move {
                let n = execute(
                    t,
                    "update credentials set friendly_name = $1, sandbox = $2, certificate = $3, private_key = $4, \
                     api_key = $5, secret = $6, date_updated = $7 where sid = $8 and account_sid = $9",
                    &[
                        &cr.friendly_name,
                        &cr.sandbox,
                        &cr.certificate,
                        &cr.private_key,
                        &cr.api_key,
                        &cr.secret,
                        &time::format(&cr.date_updated),
                        &cr.sid,
                        &cr.account_sid,
                    ],
                )
                .await?;
                Ok(n > 0)
            })
        })
        .await
    }

    async fn delete_credential(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError> {
        self.write(&(account_sid, sid), |t, (account_sid, sid)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    "delete from credentials where sid = $1 and account_sid = $2",
                    &[sid, account_sid],
                )
                .await?;
                Ok(n > 0)
            })
        })
        .await
    }
}
