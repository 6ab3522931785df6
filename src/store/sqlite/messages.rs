//! Messages on SQLite (SQL in `store::queries::messages`). The index is taken from
//! `channels.next_index` in the inserting transaction, so indexes are unique and gap-free per
//! channel; pages are keyed by index.

use async_trait::async_trait;
use rusqlite::params;

use super::outbox::insert_outbox_in;
use super::{SqliteStore, finish_page, other, query_first, query_rows};
use crate::store::ChangeKind::{ChannelUpdated, MessageAdded, MessageRemoved, MessageUpdated};
use crate::store::queries::messages as q;
use crate::store::row::{self, Cursor};
use crate::store::{Keyed, Message, MessageStore, NewChange, OutboxRow, PageReq, StoreError};
use crate::time;

#[async_trait]
impl MessageStore for SqliteStore {
    async fn append_message(&self, m: &Message, outbox: &[OutboxRow]) -> Result<Option<Message>, StoreError> {
        let mut m = m.clone();
        let outbox = outbox.to_vec();
        self.write_logged(move |c, log| {
            let now = crate::time::now_ms();
            let reserved = query_first(c, q::RESERVE.sqlite(), params![m.channel_sid, 1_i64, m.sid, now], |r| {
                let mut cur = Cursor::new(r, 0);
                Ok((cur.int()?, cur.opt_text()?))
            })?;
            let Some((index, state)) = reserved else {
                return Ok(None);
            };
            m.index = index;
            if state.as_deref() == Some("inactive") {
                let n = c
                    .prepare_cached(q::REACTIVATE.sqlite())
                    .and_then(|mut s| s.execute(params![m.channel_sid, time::format(&time::now())]))
                    .map_err(other)?;
                if n > 0 {
                    log.push(
                        &m.service_sid,
                        NewChange::in_channel(&m.channel_sid, ChannelUpdated, &m.channel_sid),
                    );
                }
            }
            c.prepare_cached(q::INSERT.sqlite())
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
                        m.media.as_ref().map(|x| &x.sid),
                        m.was_edited,
                        m.last_updated_by,
                        time::format(&m.date_created),
                        time::format(&m.date_updated),
                        m.media.as_ref().map(|x| x.size),
                        m.media.as_ref().map(|x| &x.content_type),
                        m.media.as_ref().and_then(|x| x.filename.as_ref())
                    ])
                })
                .map_err(other)?;
            insert_outbox_in(c, &outbox, &[("Index".to_owned(), index.to_string())])?;
            log.push(
                &m.service_sid,
                NewChange::in_channel(&m.channel_sid, MessageAdded, &m.sid),
            );
            Ok(Some(m))
        })
        .await
    }

    async fn message(&self, channel_sid: &str, sid: &str) -> Result<Option<Message>, StoreError> {
        self.read(|c| query_first(c, q::BY_SID.sqlite(), [sid, channel_sid], |r| row::message(r, 0)))
            .await
            .map(|found| found.map(|k| k.item))
    }

    async fn list_messages(&self, channel_sid: &str, page: PageReq) -> Result<Vec<Keyed<Message>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST.pick(&page);
        self.read(|c| {
            let rows = query_rows(c, sql.sqlite(), params![channel_sid, bound, limit], |r| {
                row::message(r, 0)
            })?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_message(&self, m: &Message, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let m = m.clone();
        let outbox = outbox.to_vec();
        self.write_logged(move |c, log| {
            let n = c
                .prepare_cached(q::UPDATE.sqlite())
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
                log.push(
                    &m.service_sid,
                    NewChange::in_channel(&m.channel_sid, MessageUpdated, &m.sid),
                );
            }
            Ok(n > 0)
        })
        .await
    }

    async fn delete_message(&self, channel_sid: &str, sid: &str, outbox: &[OutboxRow]) -> Result<bool, StoreError> {
        let (channel_sid, sid) = (channel_sid.to_owned(), sid.to_owned());
        let outbox = outbox.to_vec();
        self.write_logged(move |c, log| {
            let idx = query_first(c, q::DELETE.sqlite(), [&sid, &channel_sid], |r| Cursor::new(r, 0).int())?;
            let Some(idx) = idx else { return Ok(false) };
            let service_sid = c
                .prepare_cached(q::DELETED.sqlite())
                .and_then(|mut s| s.query_row([&channel_sid, &sid], |r| r.get::<_, String>(0)))
                .map_err(other)?;
            insert_outbox_in(c, &outbox, &[])?;
            let idx = idx.to_string();
            log.push(
                &service_sid,
                NewChange::in_channel(&channel_sid, MessageRemoved, &sid).with_detail(&idx),
            );
            Ok(true)
        })
        .await
    }
}
