//! Members on PostgreSQL. Adding and removing keep `members_count` and `joined_channels_count`
//! exact: both lock the channel row first and the user row second, so limits and duplicates are
//! checked against counters no other transaction can change until commit.

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use super::outbox::insert_outbox_in;
use super::{Fail, PgStore, execute, finish_page, map_rows, page_clause, query_opt, ts};
use crate::sid;
use crate::store::{AddMember, Keyed, Member, MemberStore, OutboxRow, PageReq, StoreError, User};
use crate::time;

pub(super) const COLUMNS: &str = "m.seq, m.sid, m.account_sid, m.service_sid, m.channel_sid, m.identity, m.role_sid, \
    m.attributes, m.last_consumed_message_index, m.last_consumption_timestamp, m.notification_level, \
    m.date_created, m.date_updated";

/// Reads a member from `row` starting at column `at`.
pub(super) fn member_at(r: &Row, at: usize) -> Result<Keyed<Member>, StoreError> {
    Ok(Keyed {
        key: r.try_get(at)?,
        item: Member {
            sid: r.try_get(at + 1)?,
            account_sid: r.try_get(at + 2)?,
            service_sid: r.try_get(at + 3)?,
            channel_sid: r.try_get(at + 4)?,
            identity: r.try_get(at + 5)?,
            role_sid: r.try_get(at + 6)?,
            attributes: r
                .try_get::<_, Option<String>>(at + 7)?
                .unwrap_or_else(|| "{}".to_owned()),
            last_consumed_message_index: r.try_get(at + 8)?,
            last_consumption_timestamp: r.try_get::<_, Option<&str>>(at + 9)?.map(ts),
            notification_level: r.try_get(at + 10)?,
            date_created: ts(r.try_get(at + 11)?),
            date_updated: ts(r.try_get(at + 12)?),
        },
    })
}

fn member_row(r: &Row) -> Result<Keyed<Member>, StoreError> {
    member_at(r, 0)
}

/// Creates `u` unless its identity exists, and locks the user row either way; returns its
/// `joined_channels_count`. The no-op update on conflict is what takes the lock.
async fn upsert_user_locked(t: &Transaction<'_>, u: &User) -> Result<i64, Fail> {
    let row = query_opt(
        t,
        "insert into users (sid, account_sid, service_sid, role_sid, identity, attributes, friendly_name, \
         joined_channels_count, date_created, date_updated) values ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9) \
         on conflict (service_sid, identity) do update set joined_channels_count = users.joined_channels_count \
         returning joined_channels_count",
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
        Some(r) => r.try_get(0)?,
        None => 0,
    })
}

/// Removes a member row and corrects both counters (shared with user deletion). Locks the
/// channel row before touching the member, like every other membership change.
pub(super) async fn remove_member_in(t: &Transaction<'_>, channel_sid: &str, sid: &str) -> Result<bool, Fail> {
    if query_opt(t, "select 1 from channels where sid = $1 for update", &[&channel_sid])
        .await?
        .is_none()
    {
        return Ok(false);
    }
    let Some(row) = query_opt(
        t,
        "delete from members where sid = $1 and channel_sid = $2 returning identity, service_sid",
        &[&sid, &channel_sid],
    )
    .await?
    else {
        return Ok(false);
    };
    let (identity, service_sid): (&str, &str) = (row.try_get(0)?, row.try_get(1)?);
    execute(
        t,
        "update channels set members_count = members_count - 1 where sid = $1",
        &[&channel_sid],
    )
    .await?;
    execute(
        t,
        "update users set joined_channels_count = joined_channels_count - 1 where service_sid = $1 and identity = $2",
        &[&service_sid, &identity],
    )
    .await?;
    Ok(true)
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
    let members: i64 = row.try_get(0)?;
    let exists = query_opt(
        t,
        "select 1 from members where channel_sid = $1 and identity = $2",
        &[&m.channel_sid, &m.identity],
    )
    .await?
    .is_some();
    if exists {
        return Ok(AddMember::Duplicate);
    }
    if members >= channel_members_limit {
        return Ok(AddMember::ChannelFull);
    }
    let joined = match new_user {
        Some(u) => upsert_user_locked(t, u).await?,
        None => match query_opt(
            t,
            "select joined_channels_count from users where service_sid = $1 and identity = $2 for update",
            &[&m.service_sid, &m.identity],
        )
        .await?
        {
            Some(r) => r.try_get(0)?,
            None => 0,
        },
    };
    if joined >= user_channels_limit {
        return Ok(AddMember::UserFull);
    }
    let inserted = execute(
        t,
        "insert into members (sid, account_sid, service_sid, channel_sid, identity, role_sid, attributes, \
         last_consumed_message_index, last_consumption_timestamp, notification_level, date_created, date_updated) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) on conflict (channel_sid, identity) do nothing",
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
        ],
    )
    .await?;
    if inserted == 0 {
        return Ok(AddMember::Duplicate);
    }
    execute(
        t,
        "update channels set members_count = members_count + 1 where sid = $1",
        &[&m.channel_sid],
    )
    .await?;
    execute(
        t,
        "update users set joined_channels_count = joined_channels_count + 1 where service_sid = $1 and identity = $2",
        &[&m.service_sid, &m.identity],
    )
    .await?;
    execute(
        t,
        "delete from invites where channel_sid = $1 and identity = $2",
        &[&m.channel_sid, &m.identity],
    )
    .await?;
    insert_outbox_in(t, outbox, &[]).await?;
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
        let by = if sid::is_sid(sid::MEMBER, key) {
            "sid"
        } else {
            "identity"
        };
        let rows = self
            .read(
                &format!("select {COLUMNS} from members m where m.{by} = $1 and m.channel_sid = $2"),
                &[&key, &channel_sid],
            )
            .await?;
        Ok(map_rows(&rows, member_row)?.pop().map(|k| k.item))
    }

    async fn list_members(
        &self,
        channel_sid: &str,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Member>>, StoreError> {
        let (tail, bound, limit, reversed) = page_clause("m.seq", &page);
        let rows = self
            .read(
                &format!(
                    "select {COLUMNS} from members m where m.channel_sid = $1 \
                     and (cardinality($4::text[]) = 0 or m.identity = any($4::text[])) and {tail}"
                ),
                &[&channel_sid, &bound, &limit, &identities],
            )
            .await?;
        Ok(finish_page(map_rows(&rows, member_row)?, reversed))
    }

    async fn update_member(&self, m: &Member, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        self.write(&(m, outbox), |t, (m, outbox)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    "update members set role_sid = $1, attributes = $2, last_consumed_message_index = $3, \
                     last_consumption_timestamp = $4, notification_level = $5, date_created = $6, \
                     date_updated = $7 where sid = $8 and channel_sid = $9",
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

    async fn remove_member(&self, channel_sid: &str, sid: &str, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        self.write(&(channel_sid, sid, outbox), |t, (channel_sid, sid, outbox)| {
            Box::pin(async move {
                let removed = remove_member_in(t, channel_sid, sid).await?;
                if removed {
                    insert_outbox_in(t, outbox, &[]).await?;
                }
                Ok(removed)
            })
        })
        .await
    }
}
