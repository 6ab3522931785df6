//! Roles on SQLite (SQL in `store::queries::roles`). Permissions are stored as a JSON array of
//! names.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::{SqliteStore, finish_page, other, query_first, query_rows};
use crate::store::queries::roles as q;
use crate::store::row::{self, Cursor};
use crate::store::{Keyed, PageReq, Role, RoleDelete, RoleStore, ServiceSettings, StoreError};
use crate::time;

fn permissions_json(role: &Role) -> Result<String, StoreError> {
    serde_json::to_string(&role.permissions).map_err(StoreError::other)
}

/// Inserts a role on the writer connection (shared with service creation).
pub(super) fn insert_role_in(c: &Connection, role: &Role) -> Result<(), StoreError> {
    let permissions = permissions_json(role)?;
    c.prepare_cached(q::INSERT.sqlite())
        .and_then(|mut s| {
            s.execute(params![
                role.sid,
                role.account_sid,
                role.service_sid,
                role.friendly_name,
                role.role_type.as_str(),
                permissions,
                time::format(&role.date_created),
                time::format(&role.date_updated)
            ])
        })
        .map_err(other)?;
    Ok(())
}

#[async_trait]
impl RoleStore for SqliteStore {
    async fn insert_role(&self, role: &Role) -> Result<(), StoreError> {
        let role = role.clone();
        self.write(move |c| insert_role_in(c, &role)).await
    }

    async fn role(&self, service_sid: &str, sid: &str) -> Result<Option<Role>, StoreError> {
        self.read(|c| query_first(c, q::BY_SID.sqlite(), [sid, service_sid], |r| row::role(r, 0)))
            .await
            .map(|found| found.map(|k| k.item))
    }

    async fn list_roles(&self, service_sid: &str, page: PageReq) -> Result<Vec<Keyed<Role>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST.pick(&page);
        self.read(|c| {
            let rows = query_rows(c, sql.sqlite(), params![service_sid, bound, limit], |r| row::role(r, 0))?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_role(&self, role: &Role) -> Result<bool, StoreError> {
        let role = role.clone();
        let permissions = permissions_json(&role)?;
        self.write(move |c| {
            let n = c
                .prepare_cached(q::UPDATE.sqlite())
                .and_then(|mut s| {
                    s.execute(params![
                        permissions,
                        time::format(&role.date_updated),
                        role.sid,
                        role.service_sid
                    ])
                })
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_role(&self, service_sid: &str, sid: &str) -> Result<RoleDelete, StoreError> {
        let (service_sid, sid) = (service_sid.to_owned(), sid.to_owned());
        self.write(move |c| {
            // The writer is the only one: nothing changes between these statements.
            let exists = query_first(
                c,
                "select 1 from roles where sid = ?1 and service_sid = ?2",
                [&sid, &service_sid],
                |_| Ok(()),
            )?
            .is_some();
            if !exists {
                return Ok(RoleDelete::NotFound);
            }
            let settings: ServiceSettings = query_first(c, q::SERVICE_SETTINGS.sqlite(), [&service_sid], |r| {
                Cursor::new(r, 0).json()
            })?
            .ok_or_else(|| StoreError::other("role without service"))?;
            let defaults = [
                settings.default_service_role_sid,
                settings.default_channel_role_sid,
                settings.default_channel_creator_role_sid,
            ];
            if defaults.iter().flatten().any(|d| *d == sid) {
                return Ok(RoleDelete::IsDefault);
            }
            if query_first(c, q::HELD.sqlite(), [&sid], |_| Ok(()))?.is_some() {
                return Ok(RoleDelete::InUse);
            }
            c.prepare_cached(q::DELETE.sqlite())
                .and_then(|mut s| s.execute([&sid]))
                .map_err(other)?;
            Ok(RoleDelete::Deleted)
        })
        .await
    }
}
