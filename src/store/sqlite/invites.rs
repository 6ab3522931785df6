//! Invites on SQLite, and the per-user view of channels (joined and invited).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::channels::json_list;
use super::{SqliteStore, finish_page, is_unique_violation, other, page_clause, ts};
use crate::store::{AddInvite, Invite, InviteStore, Keyed, PageReq, StoreError, UserChannel};
use crate::time;

const COLUMNS: &str =
    "seq, sid, account_sid, service_sid, channel_sid, identity, role_sid, created_by, date_created, date_updated";

fn invite_row(r: &Row<'_>) -> rusqlite::Result<Keyed<Invite>> {
    Ok(Keyed {
        key: r.get(0)?,
        item: Invite {
            sid: r.get(1)?,
            account_sid: r.get(2)?,
            service_sid: r.get(3)?,
            channel_sid: r.get(4)?,
            identity: r.get(5)?,
            role_sid: r.get(6)?,
            created_by: r.get(7)?,
            date_created: ts(&r.get::<_, String>(8)?),
            date_updated: ts(&r.get::<_, String>(9)?),
        },
    })
}

/// Joined channels (key `2·seq`) and invitations (key `2·seq + 1`) in one stable order.
fn user_channels_sql(tail: &str) -> String {
    let cols = crate::store::row::columns(crate::store::row::CHANNEL_COLUMNS, "c");
    format!(
        "select * from (\
           select m.seq * 2 as k, 'joined', m.sid, m.last_consumed_message_index, m.notification_level, \
             case when m.last_consumed_message_index is null then null else \
               (select count(*) from messages x where x.channel_sid = m.channel_sid \
                and x.idx > m.last_consumed_message_index) end, {cols} \
           from members m join channels c on c.sid = m.channel_sid \
           where m.service_sid = ?1 and m.identity = ?4 and (?5 is null or c.sid = ?5) \
           union all \
           select i.seq * 2 + 1 as k, 'invited', null, null, null, null, {cols} \
           from invites i join channels c on c.sid = i.channel_sid \
           where i.service_sid = ?1 and i.identity = ?4 and (?5 is null or c.sid = ?5)\
         ) where {tail}"
    )
}

fn user_channel_row(r: &Row<'_>) -> rusqlite::Result<Keyed<UserChannel>> {
    Ok(Keyed {
        key: r.get(0)?,
        item: UserChannel {
            status: r.get(1)?,
            member_sid: r.get(2)?,
            last_consumed_message_index: r.get(3)?,
            notification_level: r.get(4)?,
            unread_messages_count: r.get(5)?,
            channel: crate::store::row::channel(r, 6)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?
                .item,
        },
    })
}

#[async_trait]
impl InviteStore for SqliteStore {
    async fn insert_invite(&self, inv: &Invite) -> Result<AddInvite, StoreError> {
        let inv = inv.clone();
        self.write(move |c| {
            let member: bool = c
                .prepare_cached("select exists (select 1 from members where channel_sid = ?1 and identity = ?2)")
                .and_then(|mut s| s.query_row([&inv.channel_sid, &inv.identity], |r| r.get(0)))
                .map_err(other)?;
            if member {
                return Ok(AddInvite::AlreadyMember);
            }
            let inserted = c
                .prepare_cached(
                    "insert into invites (sid, account_sid, service_sid, channel_sid, identity, role_sid, created_by, \
                     date_created, date_updated) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        inv.sid,
                        inv.account_sid,
                        inv.service_sid,
                        inv.channel_sid,
                        inv.identity,
                        inv.role_sid,
                        inv.created_by,
                        time::format(&inv.date_created),
                        time::format(&inv.date_updated)
                    ])
                });
            match inserted {
                Ok(_) => Ok(AddInvite::Added),
                Err(e) if is_unique_violation(&e) => Ok(AddInvite::Duplicate),
                Err(e) => Err(other(e)),
            }
        })
        .await
    }

    async fn invite(&self, channel_sid: &str, sid: &str) -> Result<Option<Invite>, StoreError> {
        let (channel_sid, sid) = (channel_sid.to_owned(), sid.to_owned());
        self.read(move |c| {
            c.prepare_cached(&format!(
                "select {COLUMNS} from invites where sid = ?1 and channel_sid = ?2"
            ))
            .and_then(|mut s| s.query_row([sid, channel_sid], invite_row).optional())
            .map(|r| r.map(|k| k.item))
            .map_err(other)
        })
        .await
    }

    async fn list_invites(
        &self,
        channel_sid: &str,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Invite>>, StoreError> {
        let channel_sid = channel_sid.to_owned();
        let identities = json_list(identities);
        self.read(move |c| {
            let (tail, bound, limit, reversed) = page_clause("seq", &page);
            let mut s = c
                .prepare_cached(&format!(
                    "select {COLUMNS} from invites where channel_sid = ?1 \
                     and (?4 = '[]' or identity in (select value from json_each(?4))) and {tail}"
                ))
                .map_err(other)?;
            let rows = s
                .query_map(params![channel_sid, bound, limit, identities], invite_row)
                .and_then(Iterator::collect)
                .map_err(other)?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn delete_invite(&self, channel_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (channel_sid, sid) = (channel_sid.to_owned(), sid.to_owned());
        self.write(move |c| {
            let n = c
                .execute(
                    "delete from invites where sid = ?1 and channel_sid = ?2",
                    [sid, channel_sid],
                )
                .map_err(other)?;
            Ok(n > 0)
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
        let (service_sid, identity) = (service_sid.to_owned(), identity.to_owned());
        let channel_sid = channel_sid.map(str::to_owned);
        self.read(move |c| {
            let (tail, bound, limit, reversed) = page_clause("k", &page);
            let mut s = c.prepare_cached(&user_channels_sql(&tail)).map_err(other)?;
            let rows = s
                .query_map(
                    params![service_sid, bound, limit, identity, channel_sid],
                    user_channel_row,
                )
                .and_then(Iterator::collect)
                .map_err(other)?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }
}
