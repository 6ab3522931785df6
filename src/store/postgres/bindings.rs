//! Push bindings on PostgreSQL (SQL in `store::queries::bindings`).

use async_trait::async_trait;

use super::presence::{flipped, lock_and_count};
use super::{PgStore, execute, finish_page, map_rows, query_opt};
use crate::store::queries::bindings as q;
use crate::store::queries::presence as pq;
use crate::store::row::{self, Cursor};
use crate::store::{Binding, BindingStore, Keyed, PageReq, StoreError};
use crate::time;

#[async_trait]
impl BindingStore for PgStore {
    async fn insert_binding(&self, b: &Binding) -> Result<(), StoreError> {
        let types = serde_json::to_string(&b.message_types).map_err(StoreError::other)?;
        self.write(&(b, types), |t, (b, types)| {
            Box::pin(async move {
                let before = lock_and_count(t, pq::BINDINGS.pg(), &b.service_sid, &b.identity).await?;
                execute(
                    t,
                    q::INSERT.pg(),
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
                if before == 0 {
                    flipped(t, &b.service_sid, &b.identity).await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn binding(&self, service_sid: &str, sid: &str) -> Result<Option<Binding>, StoreError> {
        let rows = self.read(q::BY_SID.pg(), &[&sid, &service_sid]).await?;
        Ok(map_rows(&rows, |r| row::binding(r, 0))?.pop().map(|k| k.item))
    }

    async fn list_bindings(
        &self,
        service_sid: &str,
        types: &[String],
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Binding>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST_PG.pick(&page);
        let rows = self
            .read(sql.pg(), &[&service_sid, &bound, &limit, &types, &identities])
            .await?;
        Ok(finish_page(map_rows(&rows, |r| row::binding(r, 0))?, reversed))
    }

    async fn delete_binding(&self, service_sid: &str, sid: &str) -> Result<bool, StoreError> {
        self.write(&(service_sid, sid), |t, (service_sid, sid)| {
            Box::pin(async move {
                let Some(row) = query_opt(t, q::DELETE.pg(), &[sid, service_sid]).await? else {
                    return Ok(false);
                };
                let identity = Cursor::new(&row, 0).text()?;
                if lock_and_count(t, pq::BINDINGS.pg(), service_sid, &identity).await? == 0 {
                    flipped(t, service_sid, &identity).await?;
                }
                Ok(true)
            })
        })
        .await
    }
}
