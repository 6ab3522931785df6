//! Users on PostgreSQL (SQL in `store::queries::users`). Identity is unique per service
//! (case-sensitive).

use async_trait::async_trait;

use super::changes::{log_in, log_one};
use super::members::remove_member_in;
use super::outbox::insert_outbox_in;
use super::{PgStore, conflict, execute, finish_page, map_rows, query, query_opt};
use crate::sid;
use crate::store::ChangeKind::{InviteRemoved, MemberRemoved, UserAdded, UserRemoved, UserUpdated};
use crate::store::queries::users as q;
use crate::store::row::{self, Cursor};
use crate::store::{Grants, Keyed, NewChange, OutboxRow, PageReq, StoreError, User, UserStore};
use crate::time;

#[async_trait]
impl UserStore for PgStore {
    async fn grants(
        &self,
        service_sid: &str,
        identity: &str,
        channel_sid: Option<&str>,
    ) -> Result<Option<Grants>, StoreError> {
        let channel = channel_sid.unwrap_or("");
        let rows = self.read(q::GRANTS.pg(), &[&service_sid, &identity, &channel]).await?;
        Ok(map_rows(&rows, row::grants)?.pop())
    }

    async fn insert_user(&self, u: &User, outbox: &[OutboxRow]) -> Result<(), StoreError> {
        self.write(&(u, outbox), |t, (u, outbox)| {
            Box::pin(async move {
                execute(
                    t,
                    q::INSERT.pg(),
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
                log_one(t, &u.service_sid, NewChange::of_service(UserAdded, &u.sid)).await?;
                Ok(())
            })
        })
        .await
    }

    async fn user(&self, service_sid: &str, key: &str) -> Result<Option<User>, StoreError> {
        let sql = if sid::is_sid(sid::USER, key) {
            &q::BY_SID
        } else {
            &q::BY_IDENTITY
        };
        let rows = self.read(sql.pg(), &[&key, &service_sid]).await?;
        Ok(map_rows(&rows, |r| row::user(r, 0))?.pop().map(|k| k.item))
    }

    async fn users_by_identity(&self, service_sid: &str, identities: &[String]) -> Result<Vec<User>, StoreError> {
        let rows = self
            .read(q::BY_IDENTITIES_PG.pg(), &[&service_sid, &identities])
            .await?;
        Ok(map_rows(&rows, |r| row::user(r, 0))?
            .into_iter()
            .map(|k| k.item)
            .collect())
    }

    async fn list_users(&self, service_sid: &str, page: PageReq) -> Result<Vec<Keyed<User>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST.pick(&page);
        let rows = self.read(sql.pg(), &[&service_sid, &bound, &limit]).await?;
        Ok(finish_page(map_rows(&rows, |r| row::user(r, 0))?, reversed))
    }

    async fn update_user(&self, u: &User, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        self.write(&(u, outbox), |t, (u, outbox)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    q::UPDATE.pg(),
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
                    log_one(t, &u.service_sid, NewChange::of_service(UserUpdated, &u.sid)).await?;
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
                let identity = Cursor::new(&row, 0).text()?;
                let pair = |r: &tokio_postgres::Row| {
                    let mut cells = Cursor::new(r, 0);
                    Ok((cells.text()?, cells.text()?))
                };
                let memberships = query(t, q::MEMBERSHIPS.pg(), &[service_sid, &identity]).await?;
                let mut removed = Vec::with_capacity(memberships.len());
                for (channel_sid, member_sid) in map_rows(&memberships, pair)? {
                    if remove_member_in(t, &channel_sid, &member_sid).await?.is_some() {
                        removed.push((channel_sid, member_sid));
                    }
                }
                let invites = query(t, q::DELETE_INVITES.pg(), &[service_sid, &identity]).await?;
                let invites = map_rows(&invites, pair)?;
                execute(t, q::DELETE_BINDINGS.pg(), &[service_sid, &identity]).await?;
                execute(t, q::DELETE.pg(), &[sid]).await?;
                let mut changes: Vec<NewChange<'_>> = removed
                    .iter()
                    .map(|(channel_sid, member_sid)| {
                        NewChange::in_channel(channel_sid, MemberRemoved, member_sid).with_detail(&identity)
                    })
                    .chain(invites.iter().map(|(channel_sid, invite_sid)| {
                        NewChange::in_channel(channel_sid, InviteRemoved, invite_sid).with_detail(&identity)
                    }))
                    .collect();
                changes.push(NewChange::of_service(UserRemoved, sid));
                log_in(t, service_sid, &changes).await?;
                Ok(true)
            })
        })
        .await
    }
}
