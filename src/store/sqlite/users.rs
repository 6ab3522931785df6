//! Users on SQLite (SQL in `store::queries::users`). Identity is unique per service
//! (case-sensitive).

use async_trait::async_trait;
use rusqlite::params;

use super::members::remove_member_in;
use super::outbox::insert_outbox_in;
use super::{SqliteStore, finish_page, is_unique_violation, other, query_first, query_rows};
use crate::sid;
use crate::store::ChangeKind::{InviteRemoved, UserAdded, UserRemoved, UserUpdated};
use crate::store::queries::users as q;
use crate::store::row::{self, Cursor};
use crate::store::{Grants, Keyed, NewChange, OutboxRow, PageReq, StoreError, User, UserStore};
use crate::time;

#[async_trait]
impl UserStore for SqliteStore {
    async fn grants(
        &self,
        service_sid: &str,
        identity: &str,
        channel_sid: Option<&str>,
    ) -> Result<Option<Grants>, StoreError> {
        let channel = channel_sid.unwrap_or("");
        self.read(|c| {
            query_first(c, q::GRANTS.sqlite(), [service_sid, identity, channel], |r| {
                row::grants(r)
            })
        })
        .await
    }

    async fn insert_user(&self, u: &User, outbox: &[OutboxRow]) -> Result<(), StoreError> {
        let u = u.clone();
        let outbox = outbox.to_vec();
        self.write_logged(move |c, log| {
            c.prepare_cached(q::INSERT.sqlite())
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
            log.push(&u.service_sid, NewChange::of_service(UserAdded, &u.sid));
            Ok(())
        })
        .await
    }

    async fn user(&self, service_sid: &str, key: &str) -> Result<Option<User>, StoreError> {
        let sql = if sid::is_sid(sid::USER, key) {
            &q::BY_SID
        } else {
            &q::BY_IDENTITY
        };
        self.read(|c| query_first(c, sql.sqlite(), [key, service_sid], |r| row::user(r, 0)))
            .await
            .map(|found| found.map(|k| k.item))
    }

    async fn users_by_identity(&self, service_sid: &str, identities: &[String]) -> Result<Vec<User>, StoreError> {
        let list = super::channels::json_list(identities);
        self.read(|c| {
            query_rows(c, q::BY_IDENTITIES_SQLITE.sqlite(), params![service_sid, list], |r| {
                row::user(r, 0)
            })
        })
        .await
        .map(|rows| rows.into_iter().map(|k| k.item).collect())
    }

    async fn list_users(&self, service_sid: &str, page: PageReq) -> Result<Vec<Keyed<User>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST.pick(&page);
        self.read(|c| {
            let rows = query_rows(c, sql.sqlite(), params![service_sid, bound, limit], |r| row::user(r, 0))?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_user(&self, u: &User, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let u = u.clone();
        let outbox = outbox.to_vec();
        self.write_logged(move |c, log| {
            let n = c
                .prepare_cached(q::UPDATE.sqlite())
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
                log.push(&u.service_sid, NewChange::of_service(UserUpdated, &u.sid));
            }
            Ok(n > 0)
        })
        .await
    }

    async fn delete_user(&self, service_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (service_sid, sid) = (service_sid.to_owned(), sid.to_owned());
        self.write_logged(move |c, log| {
            // The writer is the only one: no membership changes between these statements.
            let identity = query_first(
                c,
                "select identity from users where sid = ?1 and service_sid = ?2",
                [&sid, &service_sid],
                |r| Cursor::new(r, 0).text(),
            )?;
            let Some(identity) = identity else { return Ok(false) };
            let memberships = query_rows(c, q::MEMBERSHIPS.sqlite(), [&service_sid, &identity], |r| {
                let mut m = Cursor::new(r, 0);
                Ok((m.text()?, m.text()?))
            })?;
            for (channel_sid, member_sid) in memberships {
                remove_member_in(c, &channel_sid, &member_sid, log)?;
            }
            let invites = query_rows(c, q::DELETE_INVITES.sqlite(), [&service_sid, &identity], |r| {
                let mut i = Cursor::new(r, 0);
                Ok((i.text()?, i.text()?))
            })?;
            c.prepare_cached(q::DELETE_BINDINGS.sqlite())
                .and_then(|mut s| s.execute([&service_sid, &identity]))
                .map_err(other)?;
            c.prepare_cached(q::DELETE.sqlite())
                .and_then(|mut s| s.execute([&sid]))
                .map_err(other)?;
            // The memberships logged their removal above.
            for (channel_sid, invite_sid) in &invites {
                log.push(
                    &service_sid,
                    NewChange::in_channel(channel_sid, InviteRemoved, invite_sid).with_detail(&identity),
                );
            }
            log.push(&service_sid, NewChange::of_service(UserRemoved, &sid));
            Ok(true)
        })
        .await
    }
}
