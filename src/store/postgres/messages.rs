//! Messages on PostgreSQL (SQL in `store::queries::messages`). The index is taken from
//! `channels.next_index` by an `update ... returning` that also locks the channel row until
//! commit, so concurrent appends on any node queue behind each other and indexes are unique and
//! gap-free per channel; pages are keyed by index. Appends are group-committed by `appender.rs`.

use async_trait::async_trait;

use super::changes::log_one;
use super::outbox::insert_outbox_in;
use super::{PgStore, execute, finish_page, map_rows, query_opt};
use crate::store::ChangeKind::{MessageRemoved, MessageUpdated};
use crate::store::queries::messages as q;
use crate::store::row::{self, Cursor};
use crate::store::{Keyed, Message, MessageStore, NewChange, OutboxRow, PageReq, StoreError};
use crate::time;

#[async_trait]
impl MessageStore for PgStore {
    async fn append_message(&self, m: &Message, outbox: &[OutboxRow]) -> Result<Option<Message>, StoreError> {
        match &self.appender {
            Some(appender) => appender.append(m, outbox).await,
            None => self.append_one(m, outbox).await,
        }
    }

    async fn message(&self, channel_sid: &str, sid: &str) -> Result<Option<Message>, StoreError> {
        let rows = self.read(q::BY_SID.pg(), &[&sid, &channel_sid]).await?;
        Ok(map_rows(&rows, |r| row::message(r, 0))?.pop().map(|k| k.item))
    }

    async fn list_messages(&self, channel_sid: &str, page: PageReq) -> Result<Vec<Keyed<Message>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST.pick(&page);
        let rows = self.read(sql.pg(), &[&channel_sid, &bound, &limit]).await?;
        Ok(finish_page(map_rows(&rows, |r| row::message(r, 0))?, reversed))
    }

    async fn update_message(&self, m: &Message, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        self.write(&(m, outbox), |t, (m, outbox)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    q::UPDATE.pg(),
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
                    log_one(
                        t,
                        &m.service_sid,
                        NewChange::in_channel(&m.channel_sid, MessageUpdated, &m.sid),
                    )
                    .await?;
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
                let Some(deleted) = query_opt(t, q::DELETE.pg(), &[sid, channel_sid]).await? else {
                    return Ok(false);
                };
                let idx = Cursor::new(&deleted, 0).int()?.to_string();
                let service_sid = match query_opt(t, q::DELETED.pg(), &[channel_sid, sid]).await? {
                    Some(row) => Cursor::new(&row, 0).text()?,
                    None => return Ok(false),
                };
                insert_outbox_in(t, outbox, &[]).await?;
                let change = NewChange::in_channel(channel_sid, MessageRemoved, sid).with_detail(&idx);
                log_one(t, &service_sid, change).await?;
                Ok(true)
            })
        })
        .await
    }
}
