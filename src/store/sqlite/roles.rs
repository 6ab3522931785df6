//! Roles on SQLite. Permissions are stored as a JSON array of names.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{SqliteStore, finish_page, other, page_clause, ts};
use crate::store::{Keyed, PageReq, Role, RoleDelete, RoleStore, RoleType, ServiceSettings, StoreError};
use crate::time;

const COLUMNS: &str =
    "seq, sid, account_sid, service_sid, friendly_name, type, permissions, date_created, date_updated";

fn role_row(r: &Row<'_>) -> rusqlite::Result<Keyed<Role>> {
    let permissions: String = r.get(6)?;
    let role_type: String = r.get(5)?;
    Ok(Keyed {
        key: r.get(0)?,
        item: Role {
            sid: r.get(1)?,
            account_sid: r.get(2)?,
            service_sid: r.get(3)?,
            friendly_name: r.get(4)?,
            role_type: RoleType::parse(&role_type).unwrap_or(RoleType::Channel),
            permissions: serde_json::from_str(&permissions).unwrap_or_default(),
            date_created: ts(&r.get::<_, String>(7)?),
            date_updated: ts(&r.get::<_, String>(8)?),
        },
    })
}

fn permissions_json(role: &Role) -> String {
    serde_json::Value::from(role.permissions.clone()).to_string()
}

/// Inserts a role on the writer connection (shared with service creation).
pub(super) fn insert_role_in(c: &Connection, role: &Role) -> Result<(), StoreError> {
    c.prepare_cached(
        "insert into roles (sid, account_sid, service_sid, friendly_name, type, permissions, date_created, date_updated) \
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut s| {
        s.execute(params![
            role.sid,
            role.account_sid,
            role.service_sid,
            role.friendly_name,
            role.role_type.as_str(),
            permissions_json(role),
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
        let (service_sid, sid) = (service_sid.to_owned(), sid.to_owned());
        self.read(move |c| {
            c.prepare_cached(&format!(
                "select {COLUMNS} from roles where sid = ?1 and service_sid = ?2"
            ))
            .and_then(|mut s| s.query_row([sid, service_sid], role_row).optional())
            .map(|r| r.map(|k| k.item))
            .map_err(other)
        })
        .await
    }

    async fn list_roles(&self, service_sid: &str, page: PageReq) -> Result<Vec<Keyed<Role>>, StoreError> {
        let service_sid = service_sid.to_owned();
        self.read(move |c| {
            let (tail, bound, limit, reversed) = page_clause("seq", &page);
            let mut s = c
                .prepare_cached(&format!(
                    "select {COLUMNS} from roles where service_sid = ?1 and {tail}"
                ))
                .map_err(other)?;
            let rows = s
                .query_map(params![service_sid, bound, limit], role_row)
                .and_then(Iterator::collect)
                .map_err(other)?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_role(&self, role: &Role) -> Result<bool, StoreError> {
        let role = role.clone();
        self.write(move |c| {
            let n = c
                .execute(
                    "update roles set permissions = ?1, date_updated = ?2 where sid = ?3 and service_sid = ?4",
                    params![
                        permissions_json(&role),
                        time::format(&role.date_updated),
                        role.sid,
                        role.service_sid
                    ],
                )
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_role(&self, service_sid: &str, sid: &str) -> Result<RoleDelete, StoreError> {
        let (service_sid, sid) = (service_sid.to_owned(), sid.to_owned());
        self.write(move |c| {
            let exists: bool = c
                .query_row(
                    "select count(*) > 0 from roles where sid = ?1 and service_sid = ?2",
                    [&sid, &service_sid],
                    |r| r.get(0),
                )
                .map_err(other)?;
            if !exists {
                return Ok(RoleDelete::NotFound);
            }
            let settings: String = c
                .query_row("select settings from services where sid = ?1", [&service_sid], |r| {
                    r.get(0)
                })
                .map_err(other)?;
            let settings: ServiceSettings = serde_json::from_str(&settings).map_err(StoreError::other)?;
            let defaults = [
                settings.default_service_role_sid,
                settings.default_channel_role_sid,
                settings.default_channel_creator_role_sid,
            ];
            if defaults.iter().flatten().any(|d| *d == sid) {
                return Ok(RoleDelete::IsDefault);
            }
            let in_use: bool = c
                .query_row("select exists (select 1 from users where role_sid = ?1)", [&sid], |r| {
                    r.get(0)
                })
                .map_err(other)?;
            if in_use {
                return Ok(RoleDelete::InUse);
            }
            c.execute("delete from roles where sid = ?1", [&sid]).map_err(other)?;
            Ok(RoleDelete::Deleted)
        })
        .await
    }
}
