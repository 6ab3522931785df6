//! Roles on PostgreSQL (SQL in `store::queries::roles`). Permissions are stored as a JSON array
//! of names.

use async_trait::async_trait;
use deadpool_postgres::Transaction;

use super::{Fail, PgStore, execute, finish_page, map_rows, query_opt};
use crate::store::queries::roles as q;
use crate::store::row::{self, Cursor};
use crate::store::{Keyed, PageReq, Role, RoleDelete, RoleStore, ServiceSettings, StoreError};
use crate::time;

fn permissions_json(role: &Role) -> Result<String, StoreError> {
    serde_json::to_string(&role.permissions).map_err(StoreError::other)
}

/// Inserts a role inside a transaction (shared with service creation).
pub(super) async fn insert_role_in(t: &Transaction<'_>, role: &Role) -> Result<(), Fail> {
    execute(
        t,
        q::INSERT.pg(),
        &[
            &role.sid,
            &role.account_sid,
            &role.service_sid,
            &role.friendly_name,
            &role.role_type.as_str(),
            &permissions_json(role)?,
            &time::format(&role.date_created),
            &time::format(&role.date_updated),
        ],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl RoleStore for PgStore {
    async fn insert_role(&self, role: &Role) -> Result<(), StoreError> {
        self.write(role, |t, role| Box::pin(insert_role_in(t, role))).await
    }

    async fn role(&self, service_sid: &str, sid: &str) -> Result<Option<Role>, StoreError> {
        let rows = self.read(q::BY_SID.pg(), &[&sid, &service_sid]).await?;
        Ok(map_rows(&rows, |r| row::role(r, 0))?.pop().map(|k| k.item))
    }

    async fn list_roles(&self, service_sid: &str, page: PageReq) -> Result<Vec<Keyed<Role>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST.pick(&page);
        let rows = self.read(sql.pg(), &[&service_sid, &bound, &limit]).await?;
        Ok(finish_page(map_rows(&rows, |r| row::role(r, 0))?, reversed))
    }

    async fn update_role(&self, role: &Role) -> Result<bool, StoreError> {
        let permissions = permissions_json(role)?;
        self.write(&(role, permissions), |t, (role, permissions)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    q::UPDATE.pg(),
                    &[
                        permissions,
                        &time::format(&role.date_updated),
                        &role.sid,
                        &role.service_sid,
                    ],
                )
                .await?;
                Ok(n > 0)
            })
        })
        .await
    }

    async fn delete_role(&self, service_sid: &str, sid: &str) -> Result<RoleDelete, StoreError> {
        self.write(&(service_sid, sid), |t, (service_sid, sid)| {
            Box::pin(async move {
                // Lock the role first: a concurrent update of the service's defaults or a user's
                // role then either sees the role gone or is seen here.
                let exists = query_opt(
                    t,
                    "select 1 from roles where sid = $1 and service_sid = $2 for update",
                    &[sid, service_sid],
                )
                .await?
                .is_some();
                if !exists {
                    return Ok(RoleDelete::NotFound);
                }
                let Some(row) = query_opt(t, q::SERVICE_SETTINGS.pg(), &[service_sid]).await? else {
                    return Err(Fail::Store(StoreError::other("role without service")));
                };
                let settings: ServiceSettings = Cursor::new(&row, 0).json()?;
                let defaults = [
                    settings.default_service_role_sid,
                    settings.default_channel_role_sid,
                    settings.default_channel_creator_role_sid,
                ];
                if defaults.iter().flatten().any(|d| d == *sid) {
                    return Ok(RoleDelete::IsDefault);
                }
                if query_opt(t, q::HELD.pg(), &[sid]).await?.is_some() {
                    return Ok(RoleDelete::InUse);
                }
                execute(t, q::DELETE.pg(), &[sid]).await?;
                Ok(RoleDelete::Deleted)
            })
        })
        .await
    }
}
