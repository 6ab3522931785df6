//! Push bindings on SQLite (SQL in `store::queries::bindings`).

use async_trait::async_trait;
use rusqlite::params;

use super::channels::json_list;
use super::presence::{count, flipped};
use super::{SqliteStore, finish_page, other, query_first, query_rows};
use crate::store::queries::bindings as q;
use crate::store::queries::presence as pq;
use crate::store::row::{self, Cursor};
use crate::store::{Binding, BindingStore, Keyed, PageReq, StoreError};
use crate::time;

#[async_trait]
impl BindingStore for SqliteStore {
    async fn insert_binding(&self, b: &Binding) -> Result<(), StoreError> {
        let b = b.clone();
        let types = serde_json::to_string(&b.message_types).map_err(StoreError::other)?;
        self.write_logged(move |c, log| {
            let before = count(c, pq::BINDINGS.sqlite(), &b.service_sid, &b.identity)?;
            c.prepare_cached(q::INSERT.sqlite())
                .and_then(|mut s| {
                    s.execute(params![
                        b.sid,
                        b.account_sid,
                        b.service_sid,
                        b.identity,
                        b.endpoint,
                        b.credential_sid,
                        b.binding_type,
                        types,
                        time::format(&b.date_created),
                        time::format(&b.date_updated)
                    ])
                })
                .map_err(other)?;
            if before == 0 {
                flipped(c, log, &b.service_sid, &b.identity)?;
            }
            Ok(())
        })
        .await
    }

    async fn binding(&self, service_sid: &str, sid: &str) -> Result<Option<Binding>, StoreError> {
        self.read(|c| query_first(c, q::BY_SID.sqlite(), [sid, service_sid], |r| row::binding(r, 0)))
            .await
            .map(|found| found.map(|k| k.item))
    }

    async fn list_bindings(
        &self,
        service_sid: &str,
        types: &[String],
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Binding>>, StoreError> {
        let (types, identities) = (json_list(types), json_list(identities));
        let (sql, bound, limit, reversed) = q::LIST_SQLITE.pick(&page);
        self.read(|c| {
            let rows = query_rows(
                c,
                sql.sqlite(),
                params![service_sid, bound, limit, types, identities],
                |r| row::binding(r, 0),
            )?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn delete_binding(&self, service_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (service_sid, sid) = (service_sid.to_owned(), sid.to_owned());
        self.write_logged(move |c, log| {
            let deleted = query_first(c, q::DELETE.sqlite(), [&sid, &service_sid], |r| {
                Cursor::new(r, 0).text()
            })?;
            let Some(identity) = deleted else {
                return Ok(false);
            };
            if count(c, pq::BINDINGS.sqlite(), &service_sid, &identity)? == 0 {
                flipped(c, log, &service_sid, &identity)?;
            }
            Ok(true)
        })
        .await
    }
}
