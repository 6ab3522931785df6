//! Services on PostgreSQL (SQL in `store::queries::services`). Settings are one JSON document;
//! updates are optimistic on `revision`.

use async_trait::async_trait;

use super::roles::insert_role_in;
use super::{PgStore, conflict, execute, finish_page, map_rows};
use crate::store::queries::services as q;
use crate::store::row;
use crate::store::{Keyed, PageReq, Role, Service, ServiceStore, StoreError};
use crate::time;

fn settings_json(s: &Service) -> Result<String, StoreError> {
    serde_json::to_string(&s.settings).map_err(StoreError::other)
}

#[async_trait]
impl ServiceStore for PgStore {
    async fn insert_service(&self, service: &Service, roles: &[Role]) -> Result<(), StoreError> {
        let settings = settings_json(service)?;
        self.write(&(service, roles, settings), |t, (s, roles, settings)| {
            Box::pin(async move {
                execute(
                    t,
                    q::INSERT.pg(),
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
        let rows = self.read(q::BY_SID.pg(), &[&sid, &account_sid]).await?;
        Ok(map_rows(&rows, |r| row::service(r, 0))?.pop().map(|k| k.item))
    }

    async fn list_services(&self, account_sid: &str, page: PageReq) -> Result<Vec<Keyed<Service>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST.pick(&page);
        let rows = self.read(sql.pg(), &[&account_sid, &bound, &limit]).await?;
        Ok(finish_page(map_rows(&rows, |r| row::service(r, 0))?, reversed))
    }

    async fn update_service(&self, service: &Service) -> Result<bool, StoreError> {
        let settings = settings_json(service)?;
        self.write(&(service, settings), |t, (s, settings)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    q::UPDATE.pg(),
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
                let n = execute(t, q::DELETE.pg(), &[sid, account_sid]).await?;
                Ok(n > 0)
            })
        })
        .await
    }
}
