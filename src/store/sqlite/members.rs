//! Members on SQLite. Adding and removing keep `members_count` and `joined_channels_count` exact.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::channels::json_list;
use super::outbox::insert_outbox_in;
use super::{SqliteStore, finish_page, is_unique_violation, other, page_clause, ts};
use crate::sid;
use crate::store::{AddMember, Keyed, Member, MemberStore, OutboxRow, PageReq, StoreError, User};
use crate::time;

pub(super) const COLUMNS: &str = "m.seq, m.sid, m.account_sid, m.service_sid, m.channel_sid, m.identity, m.role_sid, \
    m.attributes, m.last_consumed_message_index, m.last_consumption_timestamp, m.notification_level, \
    m.date_created, m.date_updated";

/// Reads a member from `row` starting at column `at`.
pub(super) fn member_at(r: &Row<'_>, at: usize) -> rusqlite::Result<Keyed<Member>> {
    Ok(Keyed {
        key: r.get(at)?,
        item: Member {
            sid: r.get(at + 1)?,
            account_sid: r.get(at + 2)?,
            service_sid: r.get(at + 3)?,
            channel_sid: r.get(at + 4)?,
            identity: r.get(at + 5)?,
            role_sid: r.get(at + 6)?,
            attributes: r.get::<_, Option<String>>(at + 7)?.unwrap_or_else(|| "{}".to_owned()),
            last_consumed_message_index: r.get(at + 8)?,
            last_consumption_timestamp: r.get::<_, Option<String>>(at + 9)?.map(|s| ts(&s)),
            notification_level: r.get(at + 10)?,
            date_created: ts(&r.get::<_, String>(at + 11)?),
            date_updated: ts(&r.get::<_, String>(at + 12)?),
        },
    })
}

fn member_row(r: &Row<'_>) -> rusqlite::Result<Keyed<Member>> {
    member_at(r, 0)
}

fn insert_user_if_missing(c: &Connection, u: &User) -> Result<(), StoreError> {
    c.prepare_cached(
        "insert into users (sid, account_sid, service_sid, role_sid, identity, attributes, friendly_name, \
         joined_channels_count, date_created, date_updated) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9) \
         on conflict (service_sid, identity) do nothing",
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
            time::format(&u.date_created),
            time::format(&u.date_updated)
        ])
    })
    .map_err(other)?;
    Ok(())
}

/// Removes a member row and corrects both counters (shared with user deletion).
pub(super) fn remove_member_in(c: &Connection, channel_sid: &str, sid: &str) -> Result<bool, StoreError> {
    let identity: Option<(String, String)> = c
        .prepare_cached("select identity, service_sid from members where sid = ?1 and channel_sid = ?2")
        .and_then(|mut s| {
            s.query_row([sid, channel_sid], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(other)?;
    let Some((identity, service_sid)) = identity else {
        return Ok(false);
    };
    c.prepare_cached("delete from members where sid = ?1")
        .and_then(|mut s| s.execute([sid]))
        .map_err(other)?;
    c.prepare_cached("update channels set members_count = members_count - 1 where sid = ?1")
        .and_then(|mut s| s.execute([channel_sid]))
        .map_err(other)?;
    c.prepare_cached(
        "update users set joined_channels_count = joined_channels_count - 1 where service_sid = ?1 and identity = ?2",
    )
    .and_then(|mut s| s.execute([service_sid, identity]))
    .map_err(other)?;
    Ok(true)
}

#[async_trait]
impl MemberStore for SqliteStore {
    async fn add_member(
        &self,
        m: &Member,
        new_user: Option<&User>,
        channel_members_limit: i64,
        user_channels_limit: i64,
        outbox: &[OutboxRow],
    ) -> Result<AddMember, StoreError> {
        let m = m.clone();
        let new_user = new_user.cloned();
        let outbox = outbox.to_vec();
        self.write(move |c| {
            let members: Option<i64> = c
                .prepare_cached("select members_count from channels where sid = ?1")
                .and_then(|mut s| s.query_row([&m.channel_sid], |r| r.get(0)).optional())
                .map_err(other)?;
            let Some(members) = members else {
                return Ok(AddMember::ChannelGone);
            };
            let exists: bool = c
                .prepare_cached("select exists (select 1 from members where channel_sid = ?1 and identity = ?2)")
                .and_then(|mut s| s.query_row([&m.channel_sid, &m.identity], |r| r.get(0)))
                .map_err(other)?;
            if exists {
                return Ok(AddMember::Duplicate);
            }
            if members >= channel_members_limit {
                return Ok(AddMember::ChannelFull);
            }
            if let Some(u) = &new_user {
                insert_user_if_missing(c, u)?;
            }
            let joined: i64 = c
                .prepare_cached("select joined_channels_count from users where service_sid = ?1 and identity = ?2")
                .and_then(|mut s| s.query_row([&m.service_sid, &m.identity], |r| r.get(0)).optional())
                .map_err(other)?
                .unwrap_or(0);
            if joined >= user_channels_limit {
                return Ok(AddMember::UserFull);
            }
            let inserted = c
                .prepare_cached(
                    "insert into members (sid, account_sid, service_sid, channel_sid, identity, role_sid, attributes, \
                     last_consumed_message_index, last_consumption_timestamp, notification_level, date_created, \
                     date_updated) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        m.sid,
                        m.account_sid,
                        m.service_sid,
                        m.channel_sid,
                        m.identity,
                        m.role_sid,
                        m.attributes,
                        m.last_consumed_message_index,
                        m.last_consumption_timestamp.as_ref().map(time::format),
                        m.notification_level,
                        time::format(&m.date_created),
                        time::format(&m.date_updated)
                    ])
                });
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => return Ok(AddMember::Duplicate),
                Err(e) => return Err(other(e)),
            }
            c.prepare_cached("update channels set members_count = members_count + 1 where sid = ?1")
                .and_then(|mut s| s.execute([&m.channel_sid]))
                .map_err(other)?;
            c.prepare_cached(
                "update users set joined_channels_count = joined_channels_count + 1 \
                 where service_sid = ?1 and identity = ?2",
            )
            .and_then(|mut s| s.execute([&m.service_sid, &m.identity]))
            .map_err(other)?;
            c.prepare_cached("delete from invites where channel_sid = ?1 and identity = ?2")
                .and_then(|mut s| s.execute([&m.channel_sid, &m.identity]))
                .map_err(other)?;
            insert_outbox_in(c, &outbox, &[])?;
            Ok(AddMember::Added)
        })
        .await
    }

    async fn member(&self, channel_sid: &str, key: &str) -> Result<Option<Member>, StoreError> {
        let (channel_sid, key) = (channel_sid.to_owned(), key.to_owned());
        let by = if sid::is_sid(sid::MEMBER, &key) {
            "sid"
        } else {
            "identity"
        };
        self.read(move |c| {
            c.prepare_cached(&format!(
                "select {COLUMNS} from members m where m.{by} = ?1 and m.channel_sid = ?2"
            ))
            .and_then(|mut s| s.query_row([key, channel_sid], member_row).optional())
            .map(|r| r.map(|k| k.item))
            .map_err(other)
        })
        .await
    }

    async fn list_members(
        &self,
        channel_sid: &str,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Member>>, StoreError> {
        let channel_sid = channel_sid.to_owned();
        let identities = json_list(identities);
        self.read(move |c| {
            let (tail, bound, limit, reversed) = page_clause("m.seq", &page);
            let mut s = c
                .prepare_cached(&format!(
                    "select {COLUMNS} from members m where m.channel_sid = ?1 \
                     and (?4 = '[]' or m.identity in (select value from json_each(?4))) and {tail}"
                ))
                .map_err(other)?;
            let rows = s
                .query_map(params![channel_sid, bound, limit, identities], member_row)
                .and_then(Iterator::collect)
                .map_err(other)?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_member(&self, m: &Member, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let m = m.clone();
        let outbox = outbox.to_vec();
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "update members set role_sid = ?1, attributes = ?2, last_consumed_message_index = ?3, \
                     last_consumption_timestamp = ?4, notification_level = ?5, date_created = ?6, date_updated = ?7 \
                     where sid = ?8 and channel_sid = ?9",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        m.role_sid,
                        m.attributes,
                        m.last_consumed_message_index,
                        m.last_consumption_timestamp.as_ref().map(time::format),
                        m.notification_level,
                        time::format(&m.date_created),
                        time::format(&m.date_updated),
                        m.sid,
                        m.channel_sid
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

    async fn remove_member(&self, channel_sid: &str, sid: &str, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let (channel_sid, sid) = (channel_sid.to_owned(), sid.to_owned());
        let outbox = outbox.to_vec();
        self.write(move |c| {
            let removed = remove_member_in(c, &channel_sid, &sid)?;
            if removed {
                insert_outbox_in(c, &outbox, &[])?;
            }
            Ok(removed)
        })
        .await
    }
}
