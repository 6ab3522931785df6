//! Channels on PostgreSQL (SQL in `store::queries::channels`).

use async_trait::async_trait;

use super::changes::log_one;
use super::outbox::insert_outbox_in;
use deadpool_postgres::Transaction;

use super::{Fail, PgStore, conflict, execute, finish_page, map_rows, query_opt};
use crate::sid;
use crate::store::ChangeKind::{ChannelAdded, ChannelRemoved, ChannelUpdated};
use crate::store::queries::channels as q;
use crate::store::row;
use crate::store::{Channel, ChannelStore, ConversationFilter, Keyed, NewChange, OutboxRow, PageReq, StoreError};
use crate::time;

/// What every write that changed channel `ch` adds to its transaction: the post-event
/// deliveries `outbox` and the channel's update in the change log.
pub(super) async fn updated(t: &Transaction<'_>, ch: &Channel, outbox: &[OutboxRow]) -> Result<(), Fail> {
    insert_outbox_in(t, outbox, &[]).await?;
    log_one(
        t,
        &ch.service_sid,
        NewChange::in_channel(&ch.sid, ChannelUpdated, &ch.sid),
    )
    .await?;
    Ok(())
}

#[async_trait]
impl ChannelStore for PgStore {
    async fn insert_channel(&self, ch: &Channel, outbox: &[OutboxRow]) -> Result<(), StoreError> {
        self.write(&(ch, outbox), |t, (ch, outbox)| {
            Box::pin(async move {
                execute(
                    t,
                    q::INSERT.pg(),
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
                        &ch.state,
                        &ch.messaging_service_sid,
                        &ch.timers.inactive_ms,
                        &ch.timers.closed_ms,
                        &ch.timers.inactive_at,
                        &ch.timers.closed_at,
                        &ch.timers.due_at(),
                    ],
                )
                .await
                .map_err(|e| conflict(e, "channel.unique_name"))?;
                insert_outbox_in(t, outbox, &[]).await?;
                log_one(
                    t,
                    &ch.service_sid,
                    NewChange::in_channel(&ch.sid, ChannelAdded, &ch.sid),
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn channel(&self, service_sid: &str, key: &str) -> Result<Option<Channel>, StoreError> {
        let sql = if sid::is_sid(sid::CHANNEL, key) {
            &q::BY_SID
        } else {
            &q::BY_UNIQUE_NAME
        };
        let rows = self.read(sql.pg(), &[&key, &service_sid]).await?;
        Ok(map_rows(&rows, |r| row::channel(r, 0))?.pop().map(|k| k.item))
    }

    async fn list_channels(
        &self,
        service_sid: &str,
        types: &[String],
        visible_to: Option<&str>,
        page: PageReq,
    ) -> Result<Vec<Keyed<Channel>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST_PG.pick(&page);
        let rows = self
            .read(
                sql.pg(),
                &[&service_sid, &bound, &limit, &types, &visible_to.unwrap_or("")],
            )
            .await?;
        Ok(finish_page(map_rows(&rows, |r| row::channel(r, 0))?, reversed))
    }

    async fn list_conversations(
        &self,
        service_sid: &str,
        visible_to: Option<&str>,
        filter: &ConversationFilter,
        page: PageReq,
    ) -> Result<Vec<Keyed<Channel>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST_CONVERSATIONS.pick(&page);
        let rows = self
            .read(
                sql.pg(),
                &[
                    &service_sid,
                    &bound,
                    &limit,
                    &visible_to.unwrap_or(""),
                    &filter.state,
                    &filter.start_date,
                    &filter.end_date,
                ],
            )
            .await?;
        Ok(finish_page(map_rows(&rows, |r| row::channel(r, 0))?, reversed))
    }

    async fn update_channel(&self, ch: &Channel, read: &Channel, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let read = (read.state.as_str(), read.timers.due_at());
        self.write(&(ch, read, outbox), |t, (ch, read, outbox)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    q::UPDATE.pg(),
                    &[
                        &ch.friendly_name,
                        &ch.unique_name,
                        &ch.attributes,
                        &ch.created_by,
                        &time::format(&ch.date_created),
                        &time::format(&ch.date_updated),
                        &ch.sid,
                        &ch.service_sid,
                        &ch.channel_type,
                        &ch.state,
                        &ch.messaging_service_sid,
                        &ch.timers.inactive_ms,
                        &ch.timers.closed_ms,
                        &ch.timers.inactive_at,
                        &ch.timers.closed_at,
                        &ch.timers.due_at(),
                        &read.0,
                        &read.1,
                    ],
                )
                .await
                .map_err(|e| conflict(e, "channel.unique_name"))?;
                if n > 0 {
                    updated(t, ch, outbox).await?;
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
                execute(t, q::DELETE.pg(), &[sid, service_sid]).await?;
                insert_outbox_in(t, outbox, &[]).await?;
                // One change for the channel; its members and messages go without one each.
                log_one(t, service_sid, NewChange::in_channel(sid, ChannelRemoved, sid)).await?;
                Ok(true)
            })
        })
        .await
    }
}
