//! Services on PostgreSQL. Settings are one JSON document; updates are optimistic on `revision`.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::roles::insert_role_in;
use super::{PgStore, conflict, execute, finish_page, from_json, map_rows, page_clause, to_json, ts};
use crate::store::{Keyed, PageReq, Role, Service, ServiceStore, StoreError};
use crate::time;

const COLUMNS: &str = "seq, sid, account_sid, friendly_name, date_created, date_updated, revision, settings";

fn service_row(r: &Row) -> Result<Keyed<Service>, StoreError> {
    Ok(Keyed {
        key: r.try_get(0)?,
        item: Service {
            sid: r.try_get(1)?,
            account_sid: r.try_get(2)?,
            friendly_name: r.try_get(3)?,
            date_created: ts(r.try_get(4)?),
            date_updated: ts(r.try_get(5)?),
            revision: r.try_get(6)?,
            settings: from_json(r.try_get(7)?)?,
        },
    })
}

#[async_trait]
impl ServiceStore for PgStore {
    async fn insert_service(&self, service: &Service, roles: &[Role]) -> Result<(), StoreError> {
        let settings = to_json(&service.settings)?;
        self.write(&(service, roles, settings), |t, (s, roles, settings)| {
            Box::pin(async move {
                execute(
                    t,
                    "insert into services (sid, account_sid, friendly_name, date_created, date_updated, revision, \
                     settings) values ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &s.sid,
                        &s.account_sid,
                        &s.friendly_name,
                        &time::format(&s.date_created),
                        &time::format(&s.date_updated),
                        &s.revision,
                        settings,
                    ],
                )
                .await
                .map_err(|e| conflict(e, "service.sid"))?;
                for role in *roles {
                    insert_role_in(t, role).await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn service(&self, account_sid: &str, sid: &str) -> Result<Option<Service>, StoreError> {
        let rows = self
            .read(
                &format!("select {COLUMNS} from services where sid = $1 and account_sid = $2"),
                &[&sid, &account_sid],
            )
            .await?;
        Ok(map_rows(&rows, service_row)?.pop().map(|k| k.item))
    }

    async fn list_services(&self, account_sid: &str, page: PageReq) -> Result<Vec<Keyed<Service>>, StoreError> {
        let (tail, bound, limit, reversed) = page_clause("seq", &page);
        let rows = self
            .read(
                &format!("select {COLUMNS} from services where account_sid = $1 and {tail}"),
                &[&account_sid, &bound, &limit],
            )
            .await?;
        Ok(finish_page(map_rows(&rows, service_row)?, reversed))
    }

    async fn update_service(&self, service: &Service) -> Result<bool, StoreError> {
        let settings = to_json(&service.settings)?;
        self.write(&(service, settings), |t, (s, settings)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    "update services set friendly_name = $1, date_updated = $2, revision = $3, settings = $4 \
                     where sid = $5 and account_sid = $6 and revision = $7",
                    &[
                        &s.friendly_name,
                        &time::format(&s.date_updated),
                        &s.revision,
                        settings,
                        &s.sid,
                        &s.account_sid,
                        &(s.revision - 1),
                    ],
                )
                .await?;
                Ok(n > 0)
            })
        })
        .await
    }

    async fn delete_service(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError> {
        self.write(&(account_sid, sid), |t, (account_sid, sid)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    "delete from services where sid = $1 and account_sid = $2",
                    &[sid, account_sid],
                )
                .await?;
                Ok(n > 0)
            })
        })
        .await
    }
}
