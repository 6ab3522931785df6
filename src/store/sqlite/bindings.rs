//! Push bindings on SQLite.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::channels::json_list;
use super::{SqliteStore, finish_page, other, page_clause, ts};
use crate::store::{Binding, BindingStore, Keyed, PageReq, StoreError};
use crate::time;

const COLUMNS: &str = "seq, sid, account_sid, service_sid, identity, endpoint, credential_sid, binding_type, \
    message_types, date_created, date_updated";

fn binding_row(r: &Row<'_>) -> rusqlite::Result<Keyed<Binding>> {
    let types: String = r.get(8)?;
    Ok(Keyed {
        key: r.get(0)?,
        item: Binding {
            sid: r.get(1)?,
            account_sid: r.get(2)?,
            service_sid: r.get(3)?,
            identity: r.get(4)?,
            endpoint: r.get(5)?,
            credential_sid: r.get(6)?,
            binding_type: r.get(7)?,
            message_types: serde_json::from_str(&types).unwrap_or_default(),
            date_created: ts(&r.get::<_, String>(9)?),
            date_updated: ts(&r.get::<_, String>(10)?),
        },
    })
}

#[async_trait]
impl BindingStore for SqliteStore {
    async fn insert_binding(&self, b: &Binding) -> Result<(), StoreError> {
        let b = b.clone();
        self.write(move |c| {
            c.prepare_cached(
                "insert into bindings (sid, account_sid, service_sid, identity, endpoint, credential_sid, binding_type, \
                 message_types, date_created, date_updated) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    b.sid,
                    b.account_sid,
                    b.service_sid,
                    b.identity,
                    b.endpoint,
                    b.credential_sid,
                    b.binding_type,
                    json_list(&b.message_types),
                    time::format(&b.date_created),
                    time::format(&b.date_updated)
                ])
            })
            .map_err(other)?;
            Ok(())
        })
        .await
    }

    async fn binding(&self, service_sid: &str, sid: &str) -> Result<Option<Binding>, StoreError> {
        let (service_sid, sid) = (service_sid.to_owned(), sid.to_owned());
        self.read(move |c| {
            c.prepare_cached(&format!(
                "select {COLUMNS} from bindings where sid = ?1 and service_sid = ?2"
            ))
            .and_then(|mut s| s.query_row([sid, service_sid], binding_row).optional())
            .map(|r| r.map(|k| k.item))
            .map_err(other)
        })
        .await
    }

    async fn list_bindings(
        &self,
        service_sid: &str,
        types: &[String],
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Binding>>, StoreError> {
        let service_sid = service_sid.to_owned();
        let (types, identities) = (json_list(types), json_list(identities));
        self.read(move |c| {
            let (tail, bound, limit, reversed) = page_clause("seq", &page);
            let mut s = c
                .prepare_cached(&format!(
                    "select {COLUMNS} from bindings where service_sid = ?1 \
                     and (?4 = '[]' or binding_type in (select value from json_each(?4))) \
                     and (?5 = '[]' or identity in (select value from json_each(?5))) and {tail}"
                ))
                .map_err(other)?;
            let rows = s
                .query_map(params![service_sid, bound, limit, types, identities], binding_row)
                .and_then(Iterator::collect)
                .map_err(other)?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn delete_binding(&self, service_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (service_sid, sid) = (service_sid.to_owned(), sid.to_owned());
        self.write(move |c| {
            let n = c
                .execute(
                    "delete from bindings where sid = ?1 and service_sid = ?2",
                    [sid, service_sid],
                )
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }
}
