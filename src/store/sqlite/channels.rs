//! Channels on SQLite (SQL in `store::queries::channels`).

use async_trait::async_trait;
use rusqlite::params;

use super::outbox::insert_outbox_in;
use super::{SqliteStore, finish_page, is_unique_violation, other, query_first, query_rows};
use crate::sid;
use crate::store::ChangeKind::{ChannelAdded, ChannelRemoved, ChannelUpdated};
use crate::store::queries::channels as q;
use crate::store::row;
use crate::store::{Channel, ChannelStore, ConversationFilter, Keyed, NewChange, OutboxRow, PageReq, StoreError};
use crate::time;

fn conflict(e: rusqlite::Error) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict("channel.unique_name")
    } else {
        other(e)
    }
}

/// What every write that changed channel `ch` adds to its transaction: the post-event
/// deliveries `outbox` and the channel's update in the change log.
pub(super) fn updated(
    c: &rusqlite::Connection,
    log: &mut super::changes::ChangeLog,
    ch: &Channel,
    outbox: &[OutboxRow],
) -> Result<(), StoreError> {
    insert_outbox_in(c, outbox, &[])?;
    log.push(&ch.service_sid, NewChange::in_channel(&ch.sid, ChannelUpdated, &ch.sid));
    Ok(())
}

/// JSON array text for `json_each` filters.
pub(super) fn json_list(values: &[String]) -> String {
    serde_json::Value::from(values.to_vec()).to_string()
}

#[async_trait]
impl ChannelStore for SqliteStore {
    async fn insert_channel(&self, ch: &Channel, outbox: &[OutboxRow]) -> Result<(), StoreError> {
        let ch = ch.clone();
        let outbox = outbox.to_vec();
        self.write_logged(move |c, log| {
            c.prepare_cached(q::INSERT.sqlite())
                .and_then(|mut s| {
                    s.execute(params![
                        ch.sid,
                        ch.account_sid,
                        ch.service_sid,
                        ch.friendly_name,
                        ch.unique_name,
                        ch.attributes,
                        ch.channel_type,
                        ch.created_by,
                        time::format(&ch.date_created),
                        time::format(&ch.date_updated),
                        ch.state,
                        ch.messaging_service_sid,
                        ch.timers.inactive_ms,
                        ch.timers.closed_ms,
                        ch.timers.inactive_at,
                        ch.timers.closed_at,
                        ch.timers.due_at()
                    ])
                })
                .map_err(conflict)?;
            insert_outbox_in(c, &outbox, &[])?;
            log.push(&ch.service_sid, NewChange::in_channel(&ch.sid, ChannelAdded, &ch.sid));
            Ok(())
        })
        .await
    }

    async fn channel(&self, service_sid: &str, key: &str) -> Result<Option<Channel>, StoreError> {
        let sql = if sid::is_sid(sid::CHANNEL, key) {
            &q::BY_SID
        } else {
            &q::BY_UNIQUE_NAME
        };
        self.read(|c| query_first(c, sql.sqlite(), [key, service_sid], |r| row::channel(r, 0)))
            .await
            .map(|found| found.map(|k| k.item))
    }

    async fn list_channels(
        &self,
        service_sid: &str,
        types: &[String],
        visible_to: Option<&str>,
        page: PageReq,
    ) -> Result<Vec<Keyed<Channel>>, StoreError> {
        let types = json_list(types);
        let (sql, bound, limit, reversed) = q::LIST_SQLITE.pick(&page);
        self.read(|c| {
            let rows = query_rows(
                c,
                sql.sqlite(),
                params![service_sid, bound, limit, types, visible_to.unwrap_or("")],
                |r| row::channel(r, 0),
            )?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn list_conversations(
        &self,
        service_sid: &str,
        visible_to: Option<&str>,
        filter: &ConversationFilter,
        page: PageReq,
    ) -> Result<Vec<Keyed<Channel>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST_CONVERSATIONS.pick(&page);
        self.read(|c| {
            let rows = query_rows(
                c,
                sql.sqlite(),
                params![
                    service_sid,
                    bound,
                    limit,
                    visible_to.unwrap_or(""),
                    filter.state,
                    filter.start_date,
                    filter.end_date
                ],
                |r| row::channel(r, 0),
            )?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_channel(&self, ch: &Channel, read: &Channel, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let ch = ch.clone();
        let (read_state, read_due) = (read.state.clone(), read.timers.due_at());
        let outbox = outbox.to_vec();
        self.write_logged(move |c, log| {
            let n = c
                .prepare_cached(q::UPDATE.sqlite())
                .and_then(|mut s| {
                    s.execute(params![
                        ch.friendly_name,
                        ch.unique_name,
                        ch.attributes,
                        ch.created_by,
                        time::format(&ch.date_created),
                        time::format(&ch.date_updated),
                        ch.sid,
                        ch.service_sid,
                        ch.channel_type,
                        ch.state,
                        ch.messaging_service_sid,
                        ch.timers.inactive_ms,
                        ch.timers.closed_ms,
                        ch.timers.inactive_at,
                        ch.timers.closed_at,
                        ch.timers.due_at(),
                        read_state,
                        read_due
                    ])
                })
                .map_err(conflict)?;
            if n > 0 {
                updated(c, log, &ch, &outbox)?;
            }
            Ok(n > 0)
        })
        .await
    }

    async fn delete_channel(&self, service_sid: &str, sid: &str, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let (service_sid, sid) = (service_sid.to_owned(), sid.to_owned());
        let outbox = outbox.to_vec();
        self.write_logged(move |c, log| {
            // The writer is the only one: no member joins or leaves between these statements.
            c.execute(
                "update users set joined_channels_count = joined_channels_count - 1 \
                 where service_sid = ?1 and identity in (select identity from members where channel_sid = ?2)",
                [&service_sid, &sid],
            )
            .map_err(other)?;
            let n = c
                .prepare_cached(q::DELETE.sqlite())
                .and_then(|mut s| s.execute([&sid, &service_sid]))
                .map_err(other)?;
            if n > 0 {
                insert_outbox_in(c, &outbox, &[])?;
                // One change for the channel; its members and messages go without one each.
                log.push(&service_sid, NewChange::in_channel(&sid, ChannelRemoved, &sid));
            }
            Ok(n > 0)
        })
        .await
    }
}
