//! Services on SQLite (SQL in `store::queries::services`). Settings are one JSON document;
//! updates are optimistic on `revision`.

use async_trait::async_trait;
use rusqlite::params;

use super::roles::insert_role_in;
use super::{SqliteStore, finish_page, is_unique_violation, other, query_first, query_rows};
use crate::store::queries::services as q;
use crate::store::row;
use crate::store::{Keyed, PageReq, Role, Service, ServiceStore, StoreError};
use crate::time;

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
            c.prepare_cached(q::INSERT.sqlite())
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
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        StoreError::Conflict("service.sid")
                    } else {
                        other(e)
                    }
                })?;
            for role in &roles {
                insert_role_in(c, role)?;
            }
            Ok(())
        })
        .await
    }

    async fn service(&self, account_sid: &str, sid: &str) -> Result<Option<Service>, StoreError> {
        self.read(|c| query_first(c, q::BY_SID.sqlite(), [sid, account_sid], |r| row::service(r, 0)))
            .await
            .map(|found| found.map(|k| k.item))
    }

    async fn list_services(&self, account_sid: &str, page: PageReq) -> Result<Vec<Keyed<Service>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST.pick(&page);
        self.read(|c| {
            let rows = query_rows(c, sql.sqlite(), params![account_sid, bound, limit], |r| {
                row::service(r, 0)
            })?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_service(&self, service: &Service) -> Result<bool, StoreError> {
        let s = service.clone();
        let settings = settings_json(&s)?;
        self.write(move |c| {
            let n = c
                .prepare_cached(q::UPDATE.sqlite())
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
                .prepare_cached(q::DELETE.sqlite())
                .and_then(|mut s| s.execute([sid, account_sid]))
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }
}
