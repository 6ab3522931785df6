//! Users on SQLite. Identity is unique per service (case-sensitive).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::members::remove_member_in;
use super::outbox::insert_outbox_in;
use super::{SqliteStore, finish_page, is_unique_violation, other, page_clause, ts};
use crate::sid;
use crate::store::{Keyed, OutboxRow, PageReq, StoreError, User, UserStore};
use crate::time;

const COLUMNS: &str = "seq, sid, account_sid, service_sid, role_sid, identity, attributes, friendly_name, \
                       joined_channels_count, date_created, date_updated";

fn user_row(r: &Row<'_>) -> rusqlite::Result<Keyed<User>> {
    Ok(Keyed {
        key: r.get(0)?,
        item: User {
            sid: r.get(1)?,
            account_sid: r.get(2)?,
            service_sid: r.get(3)?,
            role_sid: r.get(4)?,
            identity: r.get(5)?,
            attributes: r.get(6)?,
            friendly_name: r.get(7)?,
            joined_channels_count: r.get(8)?,
            date_created: ts(&r.get::<_, String>(9)?),
            date_updated: ts(&r.get::<_, String>(10)?),
        },
    })
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn insert_user(&self, u: &User, outbox: &[OutboxRow]) -> Result<(), StoreError> {
        let u = u.clone();
        let outbox = outbox.to_vec();
        self.write(move |c| {
            c.prepare_cached(
                "insert into users (sid, account_sid, service_sid, role_sid, identity, attributes, friendly_name, \
                 joined_channels_count, date_created, date_updated) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    u.sid,
                    u.account_sid,
                    u.service_sid,
                    u.role_sid,
                    u.identity,
                    u.attributes,
                    u.friendly_name,
                    u.joined_channels_count,
                    time::format(&u.date_created),
                    time::format(&u.date_updated)
                ])
            })
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict("user.identity")
                } else {
                    other(e)
                }
            })?;
            insert_outbox_in(c, &outbox, &[])?;
            Ok(())
        })
        .await
    }

    async fn user(&self, service_sid: &str, key: &str) -> Result<Option<User>, StoreError> {
        let (service_sid, key) = (service_sid.to_owned(), key.to_owned());
        let by = if sid::is_sid(sid::USER, &key) {
            "sid"
        } else {
            "identity"
        };
        self.read(move |c| {
            c.prepare_cached(&format!(
                "select {COLUMNS} from users where {by} = ?1 and service_sid = ?2"
            ))
            .and_then(|mut s| s.query_row([key, service_sid], user_row).optional())
            .map(|r| r.map(|k| k.item))
            .map_err(other)
        })
        .await
    }

    async fn list_users(&self, service_sid: &str, page: PageReq) -> Result<Vec<Keyed<User>>, StoreError> {
        let service_sid = service_sid.to_owned();
        self.read(move |c| {
            let (tail, bound, limit, reversed) = page_clause("seq", &page);
            let mut s = c
                .prepare_cached(&format!(
                    "select {COLUMNS} from users where service_sid = ?1 and {tail}"
                ))
                .map_err(other)?;
            let rows = s
                .query_map(params![service_sid, bound, limit], user_row)
                .and_then(Iterator::collect)
                .map_err(other)?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_user(&self, u: &User, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let u = u.clone();
        let outbox = outbox.to_vec();
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "update users set role_sid = ?1, attributes = ?2, friendly_name = ?3, date_updated = ?4 \
                     where sid = ?5 and service_sid = ?6",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        u.role_sid,
                        u.attributes,
                        u.friendly_name,
                        time::format(&u.date_updated),
                        u.sid,
                        u.service_sid
                    ])
                })
                .map_err(other)?;
            if n > 0 {
                insert_outbox_in(c, &outbox, &[])?;
            }
            Ok(n > 0)
        })
        .await
    }

    async fn delete_user(&self, service_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (service_sid, sid) = (service_sid.to_owned(), sid.to_owned());
        self.write(move |c| {
            let identity: Option<String> = c
                .query_row(
                    "select identity from users where sid = ?1 and service_sid = ?2",
                    [&sid, &service_sid],
                    |r| r.get(0),
                )
                .optional()
                .map_err(other)?;
            let Some(identity) = identity else { return Ok(false) };
            let memberships: Vec<(String, String)> = c
                .prepare("select channel_sid, sid from members where service_sid = ?1 and identity = ?2")
                .and_then(|mut s| {
                    s.query_map([&service_sid, &identity], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect()
                })
                .map_err(other)?;
            for (channel_sid, member_sid) in memberships {
                remove_member_in(c, &channel_sid, &member_sid)?;
            }
            c.execute(
                "delete from invites where service_sid = ?1 and identity = ?2",
                [&service_sid, &identity],
            )
            .map_err(other)?;
            c.execute(
                "delete from bindings where service_sid = ?1 and identity = ?2",
                [&service_sid, &identity],
            )
            .map_err(other)?;
            c.execute("delete from users where sid = ?1", [&sid]).map_err(other)?;
            Ok(true)
        })
        .await
    }
}
