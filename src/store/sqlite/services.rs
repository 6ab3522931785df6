//! Services on SQLite. Settings are one JSON document; updates are optimistic on `revision`.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::roles::insert_role_in;
use super::{SqliteStore, finish_page, is_unique_violation, other, page_clause, ts};
use crate::store::{Keyed, PageReq, Role, Service, ServiceStore, StoreError};
use crate::time;

const COLUMNS: &str = "seq, sid, account_sid, friendly_name, date_created, date_updated, revision, settings";

fn service_row(r: &Row<'_>) -> rusqlite::Result<Keyed<Service>> {
    let settings: String = r.get(7)?;
    let settings = serde_json::from_str(&settings)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok(Keyed {
        key: r.get(0)?,
        item: Service {
            sid: r.get(1)?,
            account_sid: r.get(2)?,
            friendly_name: r.get(3)?,
            date_created: ts(&r.get::<_, String>(4)?),
            date_updated: ts(&r.get::<_, String>(5)?),
            revision: r.get(6)?,
            settings,
        },
    })
}

fn settings_json(s: &Service) -> Result<String, StoreError> {
    serde_json::to_string(&s.settings).map_err(StoreError::other)
}

#[async_trait]
impl ServiceStore for SqliteStore {
    async fn insert_service(&self, service: &Service, roles: &[Role]) -> Result<(), StoreError> {
        let s = service.clone();
        let roles = roles.to_vec();
        let settings = settings_json(&s)?;
        self.write(move |c| {
            c.prepare_cached(
                "insert into services (sid, account_sid, friendly_name, date_created, date_updated, revision, settings) \
                 values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    s.sid,
                    s.account_sid,
                    s.friendly_name,
                    time::format(&s.date_created),
                    time::format(&s.date_updated),
                    s.revision,
                    settings
                ])
            })
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("service.sid") } else { other(e) })?;
            for role in &roles {
                insert_role_in(c, role)?;
            }
            Ok(())
        })
        .await
    }

    async fn service(&self, account_sid: &str, sid: &str) -> Result<Option<Service>, StoreError> {
        let (account_sid, sid) = (account_sid.to_owned(), sid.to_owned());
        self.read(move |c| {
            c.prepare_cached(&format!(
                "select {COLUMNS} from services where sid = ?1 and account_sid = ?2"
            ))
            .and_then(|mut s| s.query_row([sid, account_sid], service_row).optional())
            .map(|row| row.map(|k| k.item))
            .map_err(other)
        })
        .await
    }

    async fn list_services(&self, account_sid: &str, page: PageReq) -> Result<Vec<Keyed<Service>>, StoreError> {
        let account_sid = account_sid.to_owned();
        self.read(move |c| {
            let (tail, bound, limit, reversed) = page_clause("seq", &page);
            let mut s = c
                .prepare_cached(&format!(
                    "select {COLUMNS} from services where account_sid = ?1 and {tail}"
                ))
                .map_err(other)?;
            let rows = s
                .query_map(params![account_sid, bound, limit], service_row)
                .and_then(Iterator::collect)
                .map_err(other)?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_service(&self, service: &Service) -> Result<bool, StoreError> {
        let s = service.clone();
        let settings = settings_json(&s)?;
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "update services set friendly_name = ?1, date_updated = ?2, revision = ?3, settings = ?4 \
                     where sid = ?5 and account_sid = ?6 and revision = ?7",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        s.friendly_name,
                        time::format(&s.date_updated),
                        s.revision,
                        settings,
                        s.sid,
                        s.account_sid,
                        s.revision - 1
                    ])
                })
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_service(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (account_sid, sid) = (account_sid.to_owned(), sid.to_owned());
        self.write(move |c| {
            let n = c
                .execute(
                    "delete from services where sid = ?1 and account_sid = ?2",
                    [sid, account_sid],
                )
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }
}
