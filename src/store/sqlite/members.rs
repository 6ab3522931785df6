//! Members on SQLite (SQL in `store::queries::members`). Adding and removing keep
//! `members_count` and `joined_channels_count` exact.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::changes::ChangeLog;
use super::channels::json_list;
use super::outbox::insert_outbox_in;
use super::{SqliteStore, finish_page, is_unique_violation, other, query_first, query_rows};
use crate::sid;
use crate::store::ChangeKind::{InviteRemoved, MemberAdded, MemberRemoved, MemberUpdated, UserAdded};
use crate::store::queries::members as q;
use crate::store::row::{self, Cursor};
use crate::store::{AddMember, Keyed, Member, MemberStore, NewChange, OutboxRow, PageReq, StoreError, User};
use crate::time;

/// Creates `u` unless its identity exists; logs `user_added` when it did.
fn insert_user_if_missing(c: &Connection, u: &User, log: &mut ChangeLog) -> Result<(), StoreError> {
    let inserted = run(
        c,
        "insert into users (sid, account_sid, service_sid, role_sid, identity, attributes, friendly_name, \
         joined_channels_count, date_created, date_updated) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9) \
         on conflict (service_sid, identity) do nothing",
        params![
            u.sid,
            u.account_sid,
            u.service_sid,
            u.role_sid,
            u.identity,
            u.attributes,
            u.friendly_name,
            time::format(&u.date_created),
            time::format(&u.date_updated)
        ],
    )?;
    if inserted > 0 {
        log.push(&u.service_sid, NewChange::of_service(UserAdded, &u.sid));
    }
    Ok(())
}

/// Runs a statement that changes rows.
fn run(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
    c.prepare_cached(sql).and_then(|mut s| s.execute(params)).map_err(other)
}

/// Whether `identity` is a member of channel `channel_sid` (shared with invites).
pub(super) fn is_member(c: &Connection, channel_sid: &str, identity: &str) -> Result<bool, StoreError> {
    Ok(query_first(c, q::EXISTS.sqlite(), [channel_sid, identity], |_| Ok(()))?.is_some())
}

/// Removes a member row, corrects both counters and logs the removal (shared with user
/// deletion).
pub(super) fn remove_member_in(
    c: &Connection,
    channel_sid: &str,
    sid: &str,
    log: &mut ChangeLog,
) -> Result<bool, StoreError> {
    let removed = query_first(c, q::DELETE.sqlite(), [sid, channel_sid], |r| {
        let mut cells = Cursor::new(r, 0);
        Ok((cells.text()?, cells.text()?))
    })?;
    let Some((identity, service_sid)) = removed else {
        return Ok(false);
    };
    run(c, q::COUNT_LEAVE.sqlite(), [channel_sid])?;
    run(c, q::USER_LEFT.sqlite(), [&service_sid, &identity])?;
    log.push(
        &service_sid,
        NewChange::in_channel(channel_sid, MemberRemoved, sid).with_detail(&identity),
    );
    Ok(true)
}

/// The body of [`MemberStore::add_member`], on the writer connection.
fn add_member_in(
    c: &Connection,
    m: &Member,
    new_user: Option<&User>,
    channel_members_limit: i64,
    user_channels_limit: i64,
    outbox: &[OutboxRow],
    log: &mut ChangeLog,
) -> Result<AddMember, StoreError> {
    let members = query_first(
        c,
        "select members_count from channels where sid = ?1",
        [&m.channel_sid],
        |r| Cursor::new(r, 0).int(),
    )?;
    let Some(members) = members else {
        return Ok(AddMember::ChannelGone);
    };
    if is_member(c, &m.channel_sid, &m.identity)? {
        return Ok(AddMember::Duplicate);
    }
    if members >= channel_members_limit {
        return Ok(AddMember::ChannelFull);
    }
    if let Some(u) = new_user {
        insert_user_if_missing(c, u, log)?;
    }
    let joined = query_first(
        c,
        "select joined_channels_count from users where service_sid = ?1 and identity = ?2",
        [&m.service_sid, &m.identity],
        |r| Cursor::new(r, 0).int(),
    )?
    .unwrap_or(0);
    if joined >= user_channels_limit {
        return Ok(AddMember::UserFull);
    }
    let inserted = c.prepare_cached(q::INSERT.sqlite()).and_then(|mut s| {
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
            time::format(&m.date_updated),
            m.messaging_binding
        ])
    });
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Ok(AddMember::Duplicate),
        Err(e) => return Err(other(e)),
    }
    run(c, q::COUNT_JOIN.sqlite(), [&m.channel_sid])?;
    run(c, q::USER_JOINED.sqlite(), [&m.service_sid, &m.identity])?;
    let invites = query_rows(c, q::DELETE_INVITES.sqlite(), [&m.channel_sid, &m.identity], |r| {
        Cursor::new(r, 0).text()
    })?;
    insert_outbox_in(c, outbox, &[])?;
    log.push(
        &m.service_sid,
        NewChange::in_channel(&m.channel_sid, MemberAdded, &m.sid),
    );
    for sid in &invites {
        log.push(
            &m.service_sid,
            NewChange::in_channel(&m.channel_sid, InviteRemoved, sid).with_detail(&m.identity),
        );
    }
    Ok(AddMember::Added)
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
        self.write_logged(move |c, log| {
            add_member_in(
                c,
                &m,
                new_user.as_ref(),
                channel_members_limit,
                user_channels_limit,
                &outbox,
                log,
            )
        })
        .await
    }

    async fn member(&self, channel_sid: &str, key: &str) -> Result<Option<Member>, StoreError> {
        let sql = if sid::is_sid(sid::MEMBER, key) {
            &q::BY_SID
        } else {
            &q::BY_IDENTITY
        };
        self.read(|c| query_first(c, sql.sqlite(), [key, channel_sid], |r| row::member(r, 0)))
            .await
            .map(|found| found.map(|k| k.item))
    }

    async fn list_members(
        &self,
        channel_sid: &str,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Member>>, StoreError> {
        let identities = json_list(identities);
        let (sql, bound, limit, reversed) = q::LIST_SQLITE.pick(&page);
        self.read(|c| {
            let rows = query_rows(c, sql.sqlite(), params![channel_sid, bound, limit, identities], |r| {
                row::member(r, 0)
            })?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_member(&self, m: &Member, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let m = m.clone();
        let outbox = outbox.to_vec();
        self.write_logged(move |c, log| {
            let n = run(
                c,
                q::UPDATE.sqlite(),
                params![
                    m.role_sid,
                    m.attributes,
                    m.last_consumed_message_index,
                    m.last_consumption_timestamp.as_ref().map(time::format),
                    m.notification_level,
                    time::format(&m.date_created),
                    time::format(&m.date_updated),
                    m.sid,
                    m.channel_sid,
                    m.messaging_binding
                ],
            )?;
            if n > 0 {
                insert_outbox_in(c, &outbox, &[])?;
                log.push(
                    &m.service_sid,
                    NewChange::in_channel(&m.channel_sid, MemberUpdated, &m.sid),
                );
            }
            Ok(n > 0)
        })
        .await
    }

    async fn remove_member(&self, channel_sid: &str, sid: &str, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let (channel_sid, sid) = (channel_sid.to_owned(), sid.to_owned());
        let outbox = outbox.to_vec();
        self.write_logged(move |c, log| {
            let removed = remove_member_in(c, &channel_sid, &sid, log)?;
            if removed {
                insert_outbox_in(c, &outbox, &[])?;
            }
            Ok(removed)
        })
        .await
    }
}
