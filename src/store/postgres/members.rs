//! Members on PostgreSQL (SQL in `store::queries::members`). Adding and removing keep
//! `members_count` and `joined_channels_count` exact: both lock the channel row first and the
//! user row second, so limits and duplicates are checked against counters no other transaction
//! can change until commit.

use async_trait::async_trait;
use deadpool_postgres::Transaction;

use super::changes::{log_in, log_one};
use super::outbox::insert_outbox_in;
use super::{Fail, PgStore, execute, finish_page, map_rows, query, query_opt};
use crate::sid;
use crate::store::ChangeKind::{InviteRemoved, MemberAdded, MemberRemoved, MemberUpdated, UserAdded};
use crate::store::queries::members as q;
use crate::store::row::{self, Cursor};
use crate::store::{AddMember, Keyed, Member, MemberStore, NewChange, OutboxRow, PageReq, StoreError, User};
use crate::time;

/// Creates `u` unless its identity exists, and locks the user row either way; returns its
/// `joined_channels_count` and whether it was created. The no-op update on conflict is what
/// takes the lock (and leaves `xmax` set, which tells the two cases apart).
async fn upsert_user_locked(t: &Transaction<'_>, u: &User) -> Result<(i64, bool), Fail> {
    let row = query_opt(
        t,
        "insert into users (sid, account_sid, service_sid, role_sid, identity, attributes, friendly_name, \
         joined_channels_count, date_created, date_updated) values ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9) \
         on conflict (service_sid, identity) do update set joined_channels_count = users.joined_channels_count \
         returning joined_channels_count, xmax = 0",
        &[
            &u.sid,
            &u.account_sid,
            &u.service_sid,
            &u.role_sid,
            &u.identity,
            &u.attributes,
            &u.friendly_name,
            &time::format(&u.date_created),
            &time::format(&u.date_updated),
        ],
    )
    .await?;
    Ok(match row {
        Some(r) => {
            let mut cells = Cursor::new(&r, 0);
            (cells.int()?, cells.bool()?)
        }
        None => (0, false),
    })
}

/// Removes a member row and corrects both counters (shared with user deletion); returns the
/// member's identity and service, or `None` when there was no such member. Locks the channel
/// row before touching the member, like every other membership change. The caller logs the
/// removal (with the identity as its detail).
pub(super) async fn remove_member_in(
    t: &Transaction<'_>,
    channel_sid: &str,
    sid: &str,
) -> Result<Option<(String, String)>, Fail> {
    if query_opt(t, "select 1 from channels where sid = $1 for update", &[&channel_sid])
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let Some(row) = query_opt(t, q::DELETE.pg(), &[&sid, &channel_sid]).await? else {
        return Ok(None);
    };
    let mut cells = Cursor::new(&row, 0);
    let (identity, service_sid) = (cells.text()?, cells.text()?);
    execute(t, q::COUNT_LEAVE.pg(), &[&channel_sid]).await?;
    execute(t, q::USER_LEFT.pg(), &[&service_sid, &identity]).await?;
    Ok(Some((identity, service_sid)))
}

/// The body of [`MemberStore::add_member`], run with the channel row locked.
async fn add_member_in(
    t: &Transaction<'_>,
    m: &Member,
    new_user: Option<&User>,
    channel_members_limit: i64,
    user_channels_limit: i64,
    outbox: &[OutboxRow],
) -> Result<AddMember, Fail> {
    let Some(row) = query_opt(
        t,
        "select members_count from channels where sid = $1 for update",
        &[&m.channel_sid],
    )
    .await?
    else {
        return Ok(AddMember::ChannelGone);
    };
    let members = Cursor::new(&row, 0).int()?;
    let exists = query_opt(t, q::EXISTS.pg(), &[&m.channel_sid, &m.identity])
        .await?
        .is_some();
    if exists {
        return Ok(AddMember::Duplicate);
    }
    if members >= channel_members_limit {
        return Ok(AddMember::ChannelFull);
    }
    let (joined, user_added) = match new_user {
        Some(u) => upsert_user_locked(t, u).await?,
        None => match query_opt(
            t,
            "select joined_channels_count from users where service_sid = $1 and identity = $2 for update",
            &[&m.service_sid, &m.identity],
        )
        .await?
        {
            Some(r) => (Cursor::new(&r, 0).int()?, false),
            None => (0, false),
        },
    };
    if joined >= user_channels_limit {
        return Ok(AddMember::UserFull);
    }
    let inserted = execute(
        t,
        q::INSERT_OR_SKIP_PG.pg(),
        &[
            &m.sid,
            &m.account_sid,
            &m.service_sid,
            &m.channel_sid,
            &m.identity,
            &m.role_sid,
            &m.attributes,
            &m.last_consumed_message_index,
            &m.last_consumption_timestamp.as_ref().map(time::format),
            &m.notification_level,
            &time::format(&m.date_created),
            &time::format(&m.date_updated),
            &m.messaging_binding,
        ],
    )
    .await?;
    if inserted == 0 {
        return Ok(AddMember::Duplicate);
    }
    execute(t, q::COUNT_JOIN.pg(), &[&m.channel_sid]).await?;
    execute(t, q::USER_JOINED.pg(), &[&m.service_sid, &m.identity]).await?;
    let invites = query(t, q::DELETE_INVITES.pg(), &[&m.channel_sid, &m.identity]).await?;
    let invites = map_rows(&invites, |r| Cursor::new(r, 0).text())?;
    insert_outbox_in(t, outbox, &[]).await?;
    let mut changes = Vec::with_capacity(2 + invites.len());
    if let Some(u) = new_user.filter(|_| user_added) {
        changes.push(NewChange::of_service(UserAdded, &u.sid));
    }
    changes.push(NewChange::in_channel(&m.channel_sid, MemberAdded, &m.sid));
    changes.extend(
        invites
            .iter()
            .map(|sid| NewChange::in_channel(&m.channel_sid, InviteRemoved, sid).with_detail(&m.identity)),
    );
    log_in(t, &m.service_sid, &changes).await?;
    Ok(AddMember::Added)
}

#[async_trait]
impl MemberStore for PgStore {
    async fn add_member(
        &self,
        m: &Member,
        new_user: Option<&User>,
        channel_members_limit: i64,
        user_channels_limit: i64,
        outbox: &[OutboxRow],
    ) -> Result<AddMember, StoreError> {
        let args = (m, new_user, channel_members_limit, user_channels_limit, outbox);
        self.write(&args, |t, (m, new_user, members_limit, channels_limit, outbox)| {
            Box::pin(add_member_in(t, m, *new_user, *members_limit, *channels_limit, outbox))
        })
        .await
    }

    async fn member(&self, channel_sid: &str, key: &str) -> Result<Option<Member>, StoreError> {
        let sql = if sid::is_sid(sid::MEMBER, key) {
            &q::BY_SID
        } else {
            &q::BY_IDENTITY
        };
        let rows = self.read(sql.pg(), &[&key, &channel_sid]).await?;
        Ok(map_rows(&rows, |r| row::member(r, 0))?.pop().map(|k| k.item))
    }

    async fn list_members(
        &self,
        channel_sid: &str,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Member>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST_PG.pick(&page);
        let rows = self
            .read(sql.pg(), &[&channel_sid, &bound, &limit, &identities])
            .await?;
        Ok(finish_page(map_rows(&rows, |r| row::member(r, 0))?, reversed))
    }

    async fn update_member(&self, m: &Member, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        self.write(&(m, outbox), |t, (m, outbox)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    q::UPDATE.pg(),
                    &[
                        &m.role_sid,
                        &m.attributes,
                        &m.last_consumed_message_index,
                        &m.last_consumption_timestamp.as_ref().map(time::format),
                        &m.notification_level,
                        &time::format(&m.date_created),
                        &time::format(&m.date_updated),
                        &m.sid,
                        &m.channel_sid,
                        &m.messaging_binding,
                    ],
                )
                .await?;
                if n > 0 {
                    insert_outbox_in(t, outbox, &[]).await?;
                    log_one(
                        t,
                        &m.service_sid,
                        NewChange::in_channel(&m.channel_sid, MemberUpdated, &m.sid),
                    )
                    .await?;
                }
                Ok(n > 0)
            })
        })
        .await
    }

    async fn remove_member(&self, channel_sid: &str, sid: &str, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        self.write(&(channel_sid, sid, outbox), |t, (channel_sid, sid, outbox)| {
            Box::pin(async move {
                let Some((identity, service_sid)) = remove_member_in(t, channel_sid, sid).await? else {
                    return Ok(false);
                };
                insert_outbox_in(t, outbox, &[]).await?;
                let change = NewChange::in_channel(channel_sid, MemberRemoved, sid).with_detail(&identity);
                log_one(t, &service_sid, change).await?;
                Ok(true)
            })
        })
        .await
    }
}
