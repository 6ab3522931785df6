//! Roles on PostgreSQL. Permissions are stored as a JSON array of names.

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use super::{Fail, PgStore, execute, finish_page, from_json, map_rows, page_clause, query_opt, ts};
use crate::store::{Keyed, PageReq, Role, RoleDelete, RoleStore, RoleType, ServiceSettings, StoreError};
use crate::time;

const COLUMNS: &str =
    "seq, sid, account_sid, service_sid, friendly_name, type, permissions, date_created, date_updated";

fn role_row(r: &Row) -> Result<Keyed<Role>, StoreError> {
    let permissions: &str = r.try_get(6)?;
    let role_type: &str = r.try_get(5)?;
    Ok(Keyed {
        key: r.try_get(0)?,
        item: Role {
            sid: r.try_get(1)?,
            account_sid: r.try_get(2)?,
            service_sid: r.try_get(3)?,
            friendly_name: r.try_get(4)?,
            role_type: RoleType::parse(role_type).unwrap_or(RoleType::Channel),
            permissions: serde_json::from_str(permissions).unwrap_or_default(),
            date_created: ts(r.try_get(7)?),
            date_updated: ts(r.try_get(8)?),
        },
    })
}

fn permissions_json(role: &Role) -> String {
    serde_json::Value::from(role.permissions.clone()).to_string()
}

/// Inserts a role inside a transaction (shared with service creation).
pub(super) async fn insert_role_in(t: &Transaction<'_>, role: &Role) -> Result<(), Fail> {
    execute(
        t,
        "insert into roles (sid, account_sid, service_sid, friendly_name, type, permissions, date_created, \
         date_updated) values ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &role.sid,
            &role.account_sid,
            &role.service_sid,
            &role.friendly_name,
            &role.role_type.as_str(),
            &permissions_json(role),
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
        let rows = self
            .read(
                &format!("select {COLUMNS} from roles where sid = $1 and service_sid = $2"),
                &[&sid, &service_sid],
            )
            .await?;
        Ok(map_rows(&rows, role_row)?.pop().map(|k| k.item))
    }

    async fn list_roles(&self, service_sid: &str, page: PageReq) -> Result<Vec<Keyed<Role>>, StoreError> {
        let (tail, bound, limit, reversed) = page_clause("seq", &page);
        let rows = self
            .read(
                &format!("select {COLUMNS} from roles where service_sid = $1 and {tail}"),
                &[&service_sid, &bound, &limit],
            )
            .await?;
        Ok(finish_page(map_rows(&rows, role_row)?, reversed))
    }

    async fn update_role(&self, role: &Role) -> Result<bool, StoreError> {
        self.write(role, |t, role| {
            Box::pin(async move {
                let n = execute(
                    t,
                    "update roles set permissions = $1, date_updated = $2 where sid = $3 and service_sid = $4",
                    &[
                        &permissions_json(role),
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
                let Some(row) = query_opt(t, "select settings from services where sid = $1", &[service_sid]).await?
                else {
                    return Err(Fail::Store(StoreError::other("role without service")));
                };
                let settings: ServiceSettings = from_json(row.try_get(0)?)?;
                let defaults = [
                    settings.default_service_role_sid,
                    settings.default_channel_role_sid,
                    settings.default_channel_creator_role_sid,
                ];
                if defaults.iter().flatten().any(|d| d == *sid) {
                    return Ok(RoleDelete::IsDefault);
                }
                let in_use = query_opt(t, "select 1 from users where role_sid = $1 limit 1", &[sid])
                    .await?
                    .is_some();
                if in_use {
                    return Ok(RoleDelete::InUse);
                }
                execute(t, "delete from roles where sid = $1", &[sid]).await?;
                Ok(RoleDelete::Deleted)
            })
        })
        .await
    }
}
