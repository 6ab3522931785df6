//! Users on PostgreSQL. Identity is unique per service (case-sensitive).

use async_trait::async_trait;
use tokio_postgres::Row;

use super::members::remove_member_in;
use super::outbox::insert_outbox_in;
use super::{PgStore, conflict, execute, finish_page, map_rows, page_clause, query, query_opt, ts};
use crate::sid;
use crate::store::{Keyed, OutboxRow, PageReq, StoreError, User, UserStore};
use crate::time;

const COLUMNS: &str = "seq, sid, account_sid, service_sid, role_sid, identity, attributes, friendly_name, \
                       joined_channels_count, date_created, date_updated";

fn user_row(r: &Row) -> Result<Keyed<User>, StoreError> {
    Ok(Keyed {
        key: r.try_get(0)?,
        item: User {
            sid: r.try_get(1)?,
            account_sid: r.try_get(2)?,
            service_sid: r.try_get(3)?,
            role_sid: r.try_get(4)?,
            identity: r.try_get(5)?,
            attributes: r.try_get(6)?,
            friendly_name: r.try_get(7)?,
            joined_channels_count: r.try_get(8)?,
            date_created: ts(r.try_get(9)?),
            date_updated: ts(r.try_get(10)?),
        },
    })
}

#[async_trait]
impl UserStore for PgStore {
    async fn insert_user(&self, u: &User, outbox: &[OutboxRow]) -> Result<(), StoreError> {
        self.write(&(u, outbox), |t, (u, outbox)| {
            Box::pin(async move {
                execute(
                    t,
                    "insert into users (sid, account_sid, service_sid, role_sid, identity, attributes, friendly_name, \
                     joined_channels_count, date_created, date_updated) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    &[
                        &u.sid,
                        &u.account_sid,
                        &u.service_sid,
                        &u.role_sid,
                        &u.identity,
                        &u.attributes,
                        &u.friendly_name,
                        &u.joined_channels_count,
                        &time::format(&u.date_created),
                        &time::format(&u.date_updated),
                    ],
                )
                .await
                .map_err(|e| conflict(e, "user.identity"))?;
                insert_outbox_in(t, outbox, &[]).await?;
                Ok(())
            })
        })
        .await
    }

    async fn user(&self, service_sid: &str, key: &str) -> Result<Option<User>, StoreError> {
        let by = if sid::is_sid(sid::USER, key) { "sid" } else { "identity" };
        let rows = self
            .read(
                &format!("select {COLUMNS} from users where {by} = $1 and service_sid = $2"),
                &[&key, &service_sid],
            )
            .await?;
        Ok(map_rows(&rows, user_row)?.pop().map(|k| k.item))
    }

    async fn list_users(&self, service_sid: &str, page: PageReq) -> Result<Vec<Keyed<User>>, StoreError> {
        let (tail, bound, limit, reversed) = page_clause("seq", &page);
        let rows = self
            .read(
                &format!("select {COLUMNS} from users where service_sid = $1 and {tail}"),
                &[&service_sid, &bound, &limit],
            )
            .await?;
        Ok(finish_page(map_rows(&rows, user_row)?, reversed))
    }

    async fn update_user(&self, u: &User, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        self.write(&(u, outbox), |t, (u, outbox)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    "update users set role_sid = $1, attributes = $2, friendly_name = $3, date_updated = $4 \
                     where sid = $5 and service_sid = $6",
                    &[
                        &u.role_sid,
                        &u.attributes,
                        &u.friendly_name,
                        &time::format(&u.date_updated),
                        &u.sid,
                        &u.service_sid,
                    ],
                )
                .await?;
                if n > 0 {
                    insert_outbox_in(t, outbox, &[]).await?;
                }
                Ok(n > 0)
            })
        })
        .await
    }

    async fn delete_user(&self, service_sid: &str, sid: &str) -> Result<bool, StoreError> {
        self.write(&(service_sid, sid), |t, (service_sid, sid)| {
            Box::pin(async move {
                // Membership changes lock the channel first and the user second; so does this:
                // the user's channels in sorted order, then the user row. A membership added
                // meanwhile is found again below, once the user row is locked.
                execute(
                    t,
                    "select c.sid from channels c where c.sid in (select m.channel_sid from members m \
                     join users u on u.service_sid = m.service_sid and u.identity = m.identity \
                     where u.sid = $1 and u.service_sid = $2) order by c.sid for update",
                    &[sid, service_sid],
                )
                .await?;
                let Some(row) = query_opt(
                    t,
                    "select identity from users where sid = $1 and service_sid = $2 for update",
                    &[sid, service_sid],
                )
                .await?
                else {
                    return Ok(false);
                };
                let identity: String = row.try_get(0)?;
                let memberships = query(
                    t,
                    "select channel_sid, sid from members where service_sid = $1 and identity = $2 \
                     order by channel_sid",
                    &[service_sid, &identity],
                )
                .await?;
                for m in &memberships {
                    let (channel_sid, member_sid): (&str, &str) = (m.try_get(0)?, m.try_get(1)?);
                    remove_member_in(t, channel_sid, member_sid).await?;
                }
                execute(
                    t,
                    "delete from invites where service_sid = $1 and identity = $2",
                    &[service_sid, &identity],
                )
                .await?;
                execute(
                    t,
                    "delete from bindings where service_sid = $1 and identity = $2",
                    &[service_sid, &identity],
                )
                .await?;
                execute(t, "delete from users where sid = $1", &[sid]).await?;
                Ok(true)
            })
        })
        .await
    }
}
