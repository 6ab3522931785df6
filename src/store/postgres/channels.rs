//! Channels on PostgreSQL.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::outbox::insert_outbox_in;
use super::{PgStore, conflict, execute, finish_page, map_rows, page_clause, query_opt, ts};
use crate::sid;
use crate::store::{Channel, ChannelStore, Keyed, OutboxRow, PageReq, StoreError};
use crate::time;

pub(super) const COLUMNS: &str = "c.seq, c.sid, c.account_sid, c.service_sid, c.friendly_name, c.unique_name, \
    c.attributes, c.type, c.created_by, c.members_count, c.messages_count, c.last_message_sid, c.date_created, \
    c.date_updated";

/// Reads a channel from `row` starting at column `at` (so joins can reuse it).
pub(super) fn channel_at(r: &Row, at: usize) -> Result<Keyed<Channel>, StoreError> {
    Ok(Keyed {
        key: r.try_get(at)?,
        item: Channel {
            sid: r.try_get(at + 1)?,
            account_sid: r.try_get(at + 2)?,
            service_sid: r.try_get(at + 3)?,
            friendly_name: r.try_get(at + 4)?,
            unique_name: r.try_get(at + 5)?,
            attributes: r
                .try_get::<_, Option<String>>(at + 6)?
                .unwrap_or_else(|| "{}".to_owned()),
            channel_type: r.try_get(at + 7)?,
            created_by: r.try_get(at + 8)?,
            members_count: r.try_get(at + 9)?,
            messages_count: r.try_get(at + 10)?,
            last_message_sid: r.try_get(at + 11)?,
            date_created: ts(r.try_get(at + 12)?),
            date_updated: ts(r.try_get(at + 13)?),
        },
    })
}

fn channel_row(r: &Row) -> Result<Keyed<Channel>, StoreError> {
    channel_at(r, 0)
}

#[async_trait]
impl ChannelStore for PgStore {
    async fn insert_channel(&self, ch: &Channel, outbox: &[OutboxRow]) -> Result<(), StoreError> {
        self.write(&(ch, outbox), |t, (ch, outbox)| {
            Box::pin(async move {
                execute(
                    t,
                    "insert into channels (sid, account_sid, service_sid, friendly_name, unique_name, attributes, \
                     type, created_by, date_created, date_updated) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    &[
                        &ch.sid,
                        &ch.account_sid,
                        &ch.service_sid,
                        &ch.friendly_name,
                        &ch.unique_name,
                        &ch.attributes,
                        &ch.channel_type,
                        &ch.created_by,
                        &time::format(&ch.date_created),
                        &time::format(&ch.date_updated),
                    ],
                )
                .await
                .map_err(|e| conflict(e, "channel.unique_name"))?;
                insert_outbox_in(t, outbox, &[]).await?;
                Ok(())
            })
        })
        .await
    }

    async fn channel(&self, service_sid: &str, key: &str) -> Result<Option<Channel>, StoreError> {
        let by = if sid::is_sid(sid::CHANNEL, key) {
            "sid"
        } else {
            "unique_name"
        };
        let rows = self
            .read(
                &format!("select {COLUMNS} from channels c where c.{by} = $1 and c.service_sid = $2"),
                &[&key, &service_sid],
            )
            .await?;
        Ok(map_rows(&rows, channel_row)?.pop().map(|k| k.item))
    }

    async fn list_channels(
        &self,
        service_sid: &str,
        types: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Channel>>, StoreError> {
        let (tail, bound, limit, reversed) = page_clause("c.seq", &page);
        let rows = self
            .read(
                &format!(
                    "select {COLUMNS} from channels c where c.service_sid = $1 \
                     and (cardinality($4::text[]) = 0 or c.type = any($4::text[])) and {tail}"
                ),
                &[&service_sid, &bound, &limit, &types],
            )
            .await?;
        Ok(finish_page(map_rows(&rows, channel_row)?, reversed))
    }

    async fn update_channel(&self, ch: &Channel, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        self.write(&(ch, outbox), |t, (ch, outbox)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    "update channels set friendly_name = $1, unique_name = $2, attributes = $3, created_by = $4, \
                     date_created = $5, date_updated = $6 where sid = $7 and service_sid = $8",
                    &[
                        &ch.friendly_name,
                        &ch.unique_name,
                        &ch.attributes,
                        &ch.created_by,
                        &time::format(&ch.date_created),
                        &time::format(&ch.date_updated),
                        &ch.sid,
                        &ch.service_sid,
                    ],
                )
                .await
                .map_err(|e| conflict(e, "channel.unique_name"))?;
                if n > 0 {
                    insert_outbox_in(t, outbox, &[]).await?;
                }
                Ok(n > 0)
            })
        })
        .await
    }

    async fn delete_channel(&self, service_sid: &str, sid: &str, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        self.write(&(service_sid, sid, outbox), |t, (service_sid, sid, outbox)| {
            Box::pin(async move {
                // With the channel row locked no member can join or leave (both lock it first),
                // so the users corrected below are exactly the members deleted with the channel.
                let found = query_opt(
                    t,
                    "select 1 from channels where sid = $1 and service_sid = $2 for update",
                    &[sid, service_sid],
                )
                .await?
                .is_some();
                if !found {
                    return Ok(false);
                }
                execute(
                    t,
                    "update users set joined_channels_count = joined_channels_count - 1 where sid in \
                     (select u.sid from users u join members m on m.service_sid = u.service_sid \
                      and m.identity = u.identity where m.channel_sid = $2 and u.service_sid = $1 \
                      order by u.sid for update of u)",
                    &[service_sid, sid],
                )
                .await?;
                execute(
                    t,
                    "delete from channels where sid = $1 and service_sid = $2",
                    &[sid, service_sid],
                )
                .await?;
                insert_outbox_in(t, outbox, &[]).await?;
                Ok(true)
            })
        })
        .await
    }
}
