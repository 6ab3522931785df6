//! Invites on PostgreSQL, and the per-user view of channels (joined and invited).

use async_trait::async_trait;
use tokio_postgres::Row;

use super::{PgStore, execute, finish_page, map_rows, page_clause, query_opt, ts};
use crate::store::{AddInvite, Invite, InviteStore, Keyed, PageReq, StoreError, UserChannel};
use crate::time;

const COLUMNS: &str =
    "seq, sid, account_sid, service_sid, channel_sid, identity, role_sid, created_by, date_created, date_updated";

fn invite_row(r: &Row) -> Result<Keyed<Invite>, StoreError> {
    Ok(Keyed {
        key: r.try_get(0)?,
        item: Invite {
            sid: r.try_get(1)?,
            account_sid: r.try_get(2)?,
            service_sid: r.try_get(3)?,
            channel_sid: r.try_get(4)?,
            identity: r.try_get(5)?,
            role_sid: r.try_get(6)?,
            created_by: r.try_get(7)?,
            date_created: ts(r.try_get(8)?),
            date_updated: ts(r.try_get(9)?),
        },
    })
}

/// Joined channels (key `2·seq`) and invitations (key `2·seq + 1`) in one stable order.
fn user_channels_sql(tail: &str) -> String {
    let cols = crate::store::row::columns(crate::store::row::CHANNEL_COLUMNS, "c");
    format!(
        "select * from (\
           select m.seq * 2 as k, 'joined'::text, m.sid, m.last_consumed_message_index, m.notification_level, \
             case when m.last_consumed_message_index is null then null else \
               (select count(*) from messages x where x.channel_sid = m.channel_sid \
                and x.idx > m.last_consumed_message_index) end, {cols} \
           from members m join channels c on c.sid = m.channel_sid \
           where m.service_sid = $1 and m.identity = $4 and ($5::text is null or c.sid = $5::text) \
           union all \
           select i.seq * 2 + 1 as k, 'invited'::text, null, null, null, null, {cols} \
           from invites i join channels c on c.sid = i.channel_sid \
           where i.service_sid = $1 and i.identity = $4 and ($5::text is null or c.sid = $5::text)\
         ) as uc where {tail}"
    )
}

fn user_channel_row(r: &Row) -> Result<Keyed<UserChannel>, StoreError> {
    Ok(Keyed {
        key: r.try_get(0)?,
        item: UserChannel {
            status: r.try_get(1)?,
            member_sid: r.try_get(2)?,
            last_consumed_message_index: r.try_get(3)?,
            notification_level: r.try_get(4)?,
            unread_messages_count: r.try_get(5)?,
            channel: crate::store::row::channel(r, 6)?.item,
        },
    })
}

#[async_trait]
impl InviteStore for PgStore {
    async fn insert_invite(&self, inv: &Invite) -> Result<AddInvite, StoreError> {
        self.write(inv, |t, inv| {
            Box::pin(async move {
                // Lock the channel as add_member does, so an invite never outlives a concurrent
                // join of the same identity (joining deletes the identity's invites).
                query_opt(
                    t,
                    "select 1 from channels where sid = $1 for update",
                    &[&inv.channel_sid],
                )
                .await?;
                let member = query_opt(
                    t,
                    "select 1 from members where channel_sid = $1 and identity = $2",
                    &[&inv.channel_sid, &inv.identity],
                )
                .await?
                .is_some();
                if member {
                    return Ok(AddInvite::AlreadyMember);
                }
                let n = execute(
                    t,
                    "insert into invites (sid, account_sid, service_sid, channel_sid, identity, role_sid, created_by, \
                     date_created, date_updated) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     on conflict (channel_sid, identity) do nothing",
                    &[
                        &inv.sid,
                        &inv.account_sid,
                        &inv.service_sid,
                        &inv.channel_sid,
                        &inv.identity,
                        &inv.role_sid,
                        &inv.created_by,
                        &time::format(&inv.date_created),
                        &time::format(&inv.date_updated),
                    ],
                )
                .await?;
                Ok(if n == 0 { AddInvite::Duplicate } else { AddInvite::Added })
            })
        })
        .await
    }

    async fn invite(&self, channel_sid: &str, sid: &str) -> Result<Option<Invite>, StoreError> {
        let rows = self
            .read(
                &format!("select {COLUMNS} from invites where sid = $1 and channel_sid = $2"),
                &[&sid, &channel_sid],
            )
            .await?;
        Ok(map_rows(&rows, invite_row)?.pop().map(|k| k.item))
    }

    async fn list_invites(
        &self,
        channel_sid: &str,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Invite>>, StoreError> {
        let (tail, bound, limit, reversed) = page_clause("seq", &page);
        let rows = self
            .read(
                &format!(
                    "select {COLUMNS} from invites where channel_sid = $1 \
                     and (cardinality($4::text[]) = 0 or identity = any($4::text[])) and {tail}"
                ),
                &[&channel_sid, &bound, &limit, &identities],
            )
            .await?;
        Ok(finish_page(map_rows(&rows, invite_row)?, reversed))
    }

    async fn delete_invite(&self, channel_sid: &str, sid: &str) -> Result<bool, StoreError> {
        self.write(&(channel_sid, sid), |t, (channel_sid, sid)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    "delete from invites where sid = $1 and channel_sid = $2",
                    &[sid, channel_sid],
                )
                .await?;
                Ok(n > 0)
            })
        })
        .await
    }

    async fn list_user_channels(
        &self,
        service_sid: &str,
        identity: &str,
        channel_sid: Option<&str>,
        page: PageReq,
    ) -> Result<Vec<Keyed<UserChannel>>, StoreError> {
        let (tail, bound, limit, reversed) = page_clause("k", &page);
        let rows = self
            .read(
                &user_channels_sql(&tail),
                &[&service_sid, &bound, &limit, &identity, &channel_sid],
            )
            .await?;
        Ok(finish_page(map_rows(&rows, user_channel_row)?, reversed))
    }
}
