//! Push credentials on SQLite. Secrets are stored; the HTTP layer never renders them.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, finish_page, other, page_clause, ts};
use crate::store::{Credential, CredentialStore, Keyed, PageReq, StoreError};
use crate::time;

const COLUMNS: &str = "seq, sid, account_sid, friendly_name, type, sandbox, certificate, private_key, api_key, \
                       secret, date_created, date_updated";

fn credential_row(r: &Row<'_>) -> rusqlite::Result<Keyed<Credential>> {
    Ok(Keyed {
        key: r.get(0)?,
        item: Credential {
            sid: r.get(1)?,
            account_sid: r.get(2)?,
            friendly_name: r.get(3)?,
            credential_type: r.get(4)?,
            sandbox: r.get(5)?,
            certificate: r.get(6)?,
            private_key: r.get(7)?,
            api_key: r.get(8)?,
            secret: r.get(9)?,
            date_created: ts(&r.get::<_, String>(10)?),
            date_updated: ts(&r.get::<_, String>(11)?),
        },
    })
}

#[async_trait]
impl CredentialStore for SqliteStore {
    async fn insert_credential(&self, cr: &Credential) -> Result<(), StoreError> {
        let cr = cr.clone();
        self.write(move |c| {
            c.prepare_cached(
                "insert into credentials (sid, account_sid, friendly_name, type, sandbox, certificate, private_key, \
                 api_key, secret, date_created, date_updated) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
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
        let (account_sid, sid) = (account_sid.to_owned(), sid.to_owned());
        self.read(move |c| {
            c.prepare_cached(&format!(
                "select {COLUMNS} from credentials where sid = ?1 and account_sid = ?2"
            ))
            .and_then(|mut s| s.query_row([sid, account_sid], credential_row).optional())
            .map(|r| r.map(|k| k.item))
            .map_err(other)
        })
        .await
    }

    async fn list_credentials(&self, account_sid: &str, page: PageReq) -> Result<Vec<Keyed<Credential>>, StoreError> {
        let account_sid = account_sid.to_owned();
        self.read(move |c| {
            let (tail, bound, limit, reversed) = page_clause("seq", &page);
            let mut s = c
                .prepare_cached(&format!(
                    "select {COLUMNS} from credentials where account_sid = ?1 and {tail}"
                ))
                .map_err(other)?;
            let rows = s
                .query_map(params![account_sid, bound, limit], credential_row)
                .and_then(Iterator::collect)
                .map_err(other)?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_credential(&self, cr: &Credential) -> Result<bool, StoreError> {
        let cr = cr.clone();
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "update credentials set friendly_name = ?1, sandbox = ?2, certificate = ?3, private_key = ?4, \
                     api_key = ?5, secret = ?6, date_updated = ?7 where sid = ?8 and account_sid = ?9",
                )
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
                .execute(
                    "delete from credentials where sid = ?1 and account_sid = ?2",
                    [sid, account_sid],
                )
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }
}
