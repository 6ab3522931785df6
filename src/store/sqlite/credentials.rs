//! Push credentials on SQLite (SQL in `store::queries::credentials`). Secrets are stored; the
//! HTTP layer never renders them.

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteStore, finish_page, other, query_first, query_rows};
use crate::store::queries::credentials as q;
use crate::store::row;
use crate::store::{Credential, CredentialStore, Keyed, PageReq, StoreError};
use crate::time;

#[async_trait]
impl CredentialStore for SqliteStore {
    async fn insert_credential(&self, cr: &Credential) -> Result<(), StoreError> {
        let cr = cr.clone();
        self.write(move |c| {
            c.prepare_cached(q::INSERT.sqlite())
                .and_then(|mut s| {
                    s.execute(params![
                        cr.sid,
                        cr.account_sid,
                        cr.friendly_name,
                        cr.credential_type,
                        cr.sandbox,
                        cr.certificate,
                        cr.private_key,
                        cr.api_key,
                        cr.secret,
                        time::format(&cr.date_created),
                        time::format(&cr.date_updated)
                    ])
                })
                .map_err(other)?;
            Ok(())
        })
        .await
    }

    async fn credential(&self, account_sid: &str, sid: &str) -> Result<Option<Credential>, StoreError> {
        self.read(|c| query_first(c, q::BY_SID.sqlite(), [sid, account_sid], |r| row::credential(r, 0)))
            .await
            .map(|found| found.map(|k| k.item))
    }

    async fn list_credentials(&self, account_sid: &str, page: PageReq) -> Result<Vec<Keyed<Credential>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST.pick(&page);
        self.read(|c| {
            let rows = query_rows(c, sql.sqlite(), params![account_sid, bound, limit], |r| {
                row::credential(r, 0)
            })?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_credential(&self, cr: &Credential) -> Result<bool, StoreError> {
        let cr = cr.clone();
        self.write(move |c| {
            let n = c
                .prepare_cached(q::UPDATE.sqlite())
                .and_then(|mut s| {
                    s.execute(params![
                        cr.friendly_name,
                        cr.sandbox,
                        cr.certificate,
                        cr.private_key,
                        cr.api_key,
                        cr.secret,
                        time::format(&cr.date_updated),
                        cr.sid,
                        cr.account_sid
                    ])
                })
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_credential(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (account_sid, sid) = (account_sid.to_owned(), sid.to_owned());
        self.write(move |c| {
            let n = c
                .prepare_cached(q::DELETE.sqlite())
                .and_then(|mut s| s.execute([sid, account_sid]))
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }
}
