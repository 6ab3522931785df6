//! Push bindings on PostgreSQL.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::{PgStore, execute, finish_page, map_rows, page_clause, to_json, ts};
use crate::store::{Binding, BindingStore, Keyed, PageReq, StoreError};
use crate::time;

const COLUMNS: &str = "seq, sid, account_sid, service_sid, identity, endpoint, credential_sid, binding_type, \
    message_types, date_created, date_updated";

fn binding_row(r: &Row) -> Result<Keyed<Binding>, StoreError> {
    let types: &str = r.try_get(8)?;
    Ok(Keyed {
        key: r.try_get(0)?,
        item: Binding {
            sid: r.try_get(1)?,
            account_sid: r.try_get(2)?,
            service_sid: r.try_get(3)?,
            identity: r.try_get(4)?,
            endpoint: r.try_get(5)?,
            credential_sid: r.try_get(6)?,
            binding_type: r.try_get(7)?,
            message_types: serde_json::from_str(types).unwrap_or_default(),
            date_created: ts(r.try_get(9)?),
            date_updated: ts(r.try_get(10)?),
        },
    })
}

#[async_trait]
impl BindingStore for PgStore {
    async fn insert_binding(&self, b: &Binding) -> Result<(), StoreError> {
        let types = to_json(&b.message_types)?;
        self.write(&(b, types), |t, (b, types)| {
            Box::pin(async move {
                execute(
                    t,
                    "insert into bindings (sid, account_sid, service_sid, identity, endpoint, credential_sid, \
                     binding_type, message_types, date_created, date_updated) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    &[
                        &b.sid,
                        &b.account_sid,
                        &b.service_sid,
                        &b.identity,
                        &b.endpoint,
                        &b.credential_sid,
                        &b.binding_type,
                        types,
                        &time::format(&b.date_created),
                        &time::format(&b.date_updated),
                    ],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn binding(&self, service_sid: &str, sid: &str) -> Result<Option<Binding>, StoreError> {
        let rows = self
            .read(
                &format!("select {COLUMNS} from bindings where sid = $1 and service_sid = $2"),
                &[&sid, &service_sid],
            )
            .await?;
        Ok(map_rows(&rows, binding_row)?.pop().map(|k| k.item))
    }

    async fn list_bindings(
        &self,
        service_sid: &str,
        types: &[String],
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Binding>>, StoreError> {
        let (tail, bound, limit, reversed) = page_clause("seq", &page);
        let rows = self
            .read(
                &format!(
                    "select {COLUMNS} from bindings where service_sid = $1 \
                     and (cardinality($4::text[]) = 0 or binding_type = any($4::text[])) \
                     and (cardinality($5::text[]) = 0 or identity = any($5::text[])) and {tail}"
                ),
                &[&service_sid, &bound, &limit, &types, &identities],
            )
            .await?;
        Ok(finish_page(map_rows(&rows, binding_row)?, reversed))
    }

    async fn delete_binding(&self, service_sid: &str, sid: &str) -> Result<bool, StoreError> {
        self.write(&(service_sid, sid), |t, (service_sid, sid)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    "delete from bindings where sid = $1 and service_sid = $2",
                    &[sid, service_sid],
                )
                .await?;
                Ok(n > 0)
            })
        })
        .await
    }
}
