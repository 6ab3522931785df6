//! Messages on SQLite. The index is taken from `channels.next_index` in the inserting
//! transaction, so indexes are unique and gap-free per channel; pages are keyed by index.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::outbox::insert_outbox_in;
use super::{SqliteStore, finish_page, other, page_clause, ts};
use crate::store::{Keyed, Message, MessageStore, OutboxRow, PageReq, StoreError};
use crate::time;

const COLUMNS: &str = "idx, sid, account_sid, service_sid, channel_sid, from_identity, body, attributes, media_sid, \
    was_edited, last_updated_by, date_created, date_updated";

fn message_row(r: &Row<'_>) -> rusqlite::Result<Keyed<Message>> {
    let index: i64 = r.get(0)?;
    Ok(Keyed {
        key: index,
        item: Message {
            index,
            sid: r.get(1)?,
            account_sid: r.get(2)?,
            service_sid: r.get(3)?,
            channel_sid: r.get(4)?,
            from: r.get(5)?,
            body: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            attributes: r.get(7)?,
            media_sid: r.get(8)?,
            was_edited: r.get(9)?,
            last_updated_by: r.get(10)?,
            date_created: ts(&r.get::<_, String>(11)?),
            date_updated: ts(&r.get::<_, String>(12)?),
        },
    })
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn append_message(&self, m: &Message, outbox: &[OutboxRow]) -> Result<Option<Message>, StoreError> {
        let mut m = m.clone();
        let outbox = outbox.to_vec();
        self.write(move |c| {
            let index: Option<i64> = c
                .prepare_cached(
                    "update channels set next_index = next_index + 1, messages_count = messages_count + 1, \
                     last_message_sid = ?2 where sid = ?1 returning next_index - 1",
                )
                .and_then(|mut s| s.query_row([&m.channel_sid, &m.sid], |r| r.get(0)).optional())
                .map_err(other)?;
            let Some(index) = index else { return Ok(None) };
            m.index = index;
            c.prepare_cached(
                "insert into messages (sid, account_sid, service_sid, channel_sid, idx, from_identity, body, \
                 attributes, media_sid, was_edited, last_updated_by, date_created, date_updated) \
                 values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    m.sid,
                    m.account_sid,
                    m.service_sid,
                    m.channel_sid,
                    m.index,
                    m.from,
                    m.body,
                    m.attributes,
                    m.media_sid,
                    m.was_edited,
                    m.last_updated_by,
                    time::format(&m.date_created),
                    time::format(&m.date_updated)
                ])
            })
            .map_err(other)?;
            insert_outbox_in(c, &outbox, &[("Index".to_owned(), index.to_string())])?;
            Ok(Some(m))
        })
        .await
    }

    async fn message(&self, channel_sid: &str, sid: &str) -> Result<Option<Message>, StoreError> {
        let (channel_sid, sid) = (channel_sid.to_owned(), sid.to_owned());
        self.read(move |c| {
            c.prepare_cached(&format!(
                "select {COLUMNS} from messages where sid = ?1 and channel_sid = ?2"
            ))
            .and_then(|mut s| s.query_row([sid, channel_sid], message_row).optional())
            .map(|r| r.map(|k| k.item))
            .map_err(other)
        })
        .await
    }

    async fn list_messages(&self, channel_sid: &str, page: PageReq) -> Result<Vec<Keyed<Message>>, StoreError> {
        let channel_sid = channel_sid.to_owned();
        self.read(move |c| {
            let (tail, bound, limit, reversed) = page_clause("idx", &page);
            let mut s = c
                .prepare_cached(&format!(
                    "select {COLUMNS} from messages where channel_sid = ?1 and {tail}"
                ))
                .map_err(other)?;
            let rows = s
                .query_map(params![channel_sid, bound, limit], message_row)
                .and_then(Iterator::collect)
                .map_err(other)?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_message(&self, m: &Message, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let m = m.clone();
        let outbox = outbox.to_vec();
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "update messages set from_identity = ?1, body = ?2, attributes = ?3, was_edited = ?4, \
                     last_updated_by = ?5, date_created = ?6, date_updated = ?7 where sid = ?8 and channel_sid = ?9",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        m.from,
                        m.body,
                        m.attributes,
                        m.was_edited,
                        m.last_updated_by,
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

    async fn delete_message(&self, channel_sid: &str, sid: &str, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let (channel_sid, sid) = (channel_sid.to_owned(), sid.to_owned());
        let outbox = outbox.to_vec();
        self.write(move |c| {
            let n = c
                .prepare_cached("delete from messages where sid = ?1 and channel_sid = ?2")
                .and_then(|mut s| s.execute([&sid, &channel_sid]))
                .map_err(other)?;
            if n == 0 {
                return Ok(false);
            }
            c.prepare_cached(
                "update channels set messages_count = messages_count - 1, last_message_sid = case \
                 when last_message_sid = ?2 then (select sid from messages where channel_sid = ?1 order by idx desc limit 1) \
                 else last_message_sid end where sid = ?1",
            )
            .and_then(|mut s| s.execute([&channel_sid, &sid]))
            .map_err(other)?;
            insert_outbox_in(c, &outbox, &[])?;
            Ok(true)
        })
        .await
    }
}
