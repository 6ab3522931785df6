//! Messages on PostgreSQL. The index is taken from `channels.next_index` by an `update ...
//! returning` that also locks the channel row until commit, so concurrent appends on any node
//! queue behind each other and indexes are unique and gap-free per channel; pages are keyed by
//! index. Appends are group-committed by `appender.rs`.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::outbox::insert_outbox_in;
use super::{PgStore, execute, finish_page, map_rows, page_clause, query_opt, ts};
use crate::store::{Keyed, Message, MessageStore, OutboxRow, PageReq, StoreError};
use crate::time;

const COLUMNS: &str = "idx, sid, account_sid, service_sid, channel_sid, from_identity, body, attributes, media_sid, \
    was_edited, last_updated_by, date_created, date_updated";

fn message_row(r: &Row) -> Result<Keyed<Message>, StoreError> {
    let index: i64 = r.try_get(0)?;
    Ok(Keyed {
        key: index,
        item: Message {
            index,
            sid: r.try_get(1)?,
            account_sid: r.try_get(2)?,
            service_sid: r.try_get(3)?,
            channel_sid: r.try_get(4)?,
            from: r.try_get(5)?,
            body: r.try_get::<_, Option<String>>(6)?.unwrap_or_default(),
            attributes: r.try_get(7)?,
            media_sid: r.try_get(8)?,
            was_edited: r.try_get(9)?,
            last_updated_by: r.try_get(10)?,
            date_created: ts(r.try_get(11)?),
            date_updated: ts(r.try_get(12)?),
        },
    })
}

#[async_trait]
impl MessageStore for PgStore {
    async fn append_message(&self, m: &Message, outbox: &[OutboxRow]) -> Result<Option<Message>, StoreError> {
        match &self.appender {
            Some(appender) => appender.append(m, outbox).await,
            None => self.append_one(m, outbox).await,
        }
    }

    async fn message(&self, channel_sid: &str, sid: &str) -> Result<Option<Message>, StoreError> {
        let rows = self
            .read(
                &format!("select {COLUMNS} from messages where sid = $1 and channel_sid = $2"),
                &[&sid, &channel_sid],
            )
            .await?;
        Ok(map_rows(&rows, message_row)?.pop().map(|k| k.item))
    }

    async fn list_messages(&self, channel_sid: &str, page: PageReq) -> Result<Vec<Keyed<Message>>, StoreError> {
        let (tail, bound, limit, reversed) = page_clause("idx", &page);
        let rows = self
            .read(
                &format!("select {COLUMNS} from messages where channel_sid = $1 and {tail}"),
                &[&channel_sid, &bound, &limit],
            )
            .await?;
        Ok(finish_page(map_rows(&rows, message_row)?, reversed))
    }

    async fn update_message(&self, m: &Message, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        self.write(&(m, outbox), |t, (m, outbox)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    "update messages set from_identity = $1, body = $2, attributes = $3, was_edited = $4, \
                     last_updated_by = $5, date_created = $6, date_updated = $7 where sid = $8 and channel_sid = $9",
                    &[
                        &m.from,
                        &m.body,
                        &m.attributes,
                        &m.was_edited,
                        &m.last_updated_by,
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

    async fn delete_message(&self, channel_sid: &str, sid: &str, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        self.write(&(channel_sid, sid, outbox), |t, (channel_sid, sid, outbox)| {
            Box::pin(async move {
                // Lock the channel first (as appends do) so `messages_count` and
                // `last_message_sid` are recomputed against a settled set of messages.
                if query_opt(t, "select 1 from channels where sid = $1 for update", &[channel_sid])
                    .await?
                    .is_none()
                {
                    return Ok(false);
                }
                let n = execute(
                    t,
                    "delete from messages where sid = $1 and channel_sid = $2",
                    &[sid, channel_sid],
                )
                .await?;
                if n == 0 {
                    return Ok(false);
                }
                execute(
                    t,
                    "update channels set messages_count = messages_count - 1, last_message_sid = case \
                     when last_message_sid = $2 then \
                       (select sid from messages where channel_sid = $1 order by idx desc limit 1) \
                     else last_message_sid end where sid = $1",
                    &[channel_sid, sid],
                )
                .await?;
                insert_outbox_in(t, outbox, &[]).await?;
                Ok(true)
            })
        })
        .await
    }
}
