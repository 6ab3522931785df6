//! Channels on SQLite.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::outbox::insert_outbox_in;
use super::{SqliteStore, finish_page, is_unique_violation, other, page_clause, ts};
use crate::sid;
use crate::store::{Channel, ChannelStore, Keyed, OutboxRow, PageReq, StoreError};
use crate::time;

pub(super) const COLUMNS: &str = "c.seq, c.sid, c.account_sid, c.service_sid, c.friendly_name, c.unique_name, \
    c.attributes, c.type, c.created_by, c.members_count, c.messages_count, c.last_message_sid, c.date_created, \
    c.date_updated";

/// Reads a channel from `row` starting at column `at` (so joins can reuse it).
pub(super) fn channel_at(r: &Row<'_>, at: usize) -> rusqlite::Result<Keyed<Channel>> {
    Ok(Keyed {
        key: r.get(at)?,
        item: Channel {
            sid: r.get(at + 1)?,
            account_sid: r.get(at + 2)?,
            service_sid: r.get(at + 3)?,
            friendly_name: r.get(at + 4)?,
            unique_name: r.get(at + 5)?,
            attributes: r.get::<_, Option<String>>(at + 6)?.unwrap_or_else(|| "{}".to_owned()),
            channel_type: r.get(at + 7)?,
            created_by: r.get(at + 8)?,
            members_count: r.get(at + 9)?,
            messages_count: r.get(at + 10)?,
            last_message_sid: r.get(at + 11)?,
            date_created: ts(&r.get::<_, String>(at + 12)?),
            date_updated: ts(&r.get::<_, String>(at + 13)?),
        },
    })
}

fn channel_row(r: &Row<'_>) -> rusqlite::Result<Keyed<Channel>> {
    channel_at(r, 0)
}

fn conflict(e: rusqlite::Error) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict("channel.unique_name")
    } else {
        other(e)
    }
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
        self.write(move |c| {
            c.prepare_cached(
                "insert into channels (sid, account_sid, service_sid, friendly_name, unique_name, attributes, type, \
                 created_by, date_created, date_updated) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
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
                    time::format(&ch.date_updated)
                ])
            })
            .map_err(conflict)?;
            insert_outbox_in(c, &outbox, &[])?;
            Ok(())
        })
        .await
    }

    async fn channel(&self, service_sid: &str, key: &str) -> Result<Option<Channel>, StoreError> {
        let (service_sid, key) = (service_sid.to_owned(), key.to_owned());
        let by = if sid::is_sid(sid::CHANNEL, &key) {
            "sid"
        } else {
            "unique_name"
        };
        self.read(move |c| {
            c.prepare_cached(&format!(
                "select {COLUMNS} from channels c where c.{by} = ?1 and c.service_sid = ?2"
            ))
            .and_then(|mut s| s.query_row([key, service_sid], channel_row).optional())
            .map(|r| r.map(|k| k.item))
            .map_err(other)
        })
        .await
    }

    async fn list_channels(
        &self,
        service_sid: &str,
        types: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Channel>>, StoreError> {
        let service_sid = service_sid.to_owned();
        let types = json_list(types);
        self.read(move |c| {
            let (tail, bound, limit, reversed) = page_clause("c.seq", &page);
            let mut s = c
                .prepare_cached(&format!(
                    "select {COLUMNS} from channels c where c.service_sid = ?1 \
                     and (?4 = '[]' or c.type in (select value from json_each(?4))) and {tail}"
                ))
                .map_err(other)?;
            let rows = s
                .query_map(params![service_sid, bound, limit, types], channel_row)
                .and_then(Iterator::collect)
                .map_err(other)?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_channel(&self, ch: &Channel, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let ch = ch.clone();
        let outbox = outbox.to_vec();
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "update channels set friendly_name = ?1, unique_name = ?2, attributes = ?3, created_by = ?4, \
                     date_created = ?5, date_updated = ?6 where sid = ?7 and service_sid = ?8",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        ch.friendly_name,
                        ch.unique_name,
                        ch.attributes,
                        ch.created_by,
                        time::format(&ch.date_created),
                        time::format(&ch.date_updated),
                        ch.sid,
                        ch.service_sid
                    ])
                })
                .map_err(conflict)?;
            if n > 0 {
                insert_outbox_in(c, &outbox, &[])?;
            }
            Ok(n > 0)
        })
        .await
    }

    async fn delete_channel(&self, service_sid: &str, sid: &str, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let (service_sid, sid) = (service_sid.to_owned(), sid.to_owned());
        let outbox = outbox.to_vec();
        self.write(move |c| {
            c.execute(
                "update users set joined_channels_count = joined_channels_count - 1 \
                 where service_sid = ?1 and identity in (select identity from members where channel_sid = ?2)",
                [&service_sid, &sid],
            )
            .map_err(other)?;
            let n = c
                .execute(
                    "delete from channels where sid = ?1 and service_sid = ?2",
                    [&sid, &service_sid],
                )
                .map_err(other)?;
            if n > 0 {
                insert_outbox_in(c, &outbox, &[])?;
            }
            Ok(n > 0)
        })
        .await
    }
}
