//! Media records on SQLite (SQL in `store::queries::media`).

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteStore, other, query_first, query_rows};
use crate::store::queries::media as q;
use crate::store::row::{self, Cursor};
use crate::store::{AttachMedia, Media, MediaStore, StoreError};
use crate::time::{self, Timestamp};

#[async_trait]
impl MediaStore for SqliteStore {
    async fn insert_media(&self, m: &Media) -> Result<(), StoreError> {
        let m = m.clone();
        self.write(move |c| {
            c.prepare_cached(q::INSERT.sqlite())
                .and_then(|mut s| {
                    s.execute(params![
                        m.sid,
                        m.account_sid,
                        m.service_sid,
                        m.channel_sid,
                        m.message_sid,
                        m.author,
                        m.filename,
                        m.content_type,
                        m.size,
                        m.category,
                        time::format(&m.date_created),
                        time::format(&m.date_updated),
                        time::format(&m.date_upload_updated)
                    ])
                })
                .map_err(other)?;
            Ok(())
        })
        .await
    }

    async fn media(&self, service_sid: &str, sid: &str) -> Result<Option<Media>, StoreError> {
        self.read(|c| query_first(c, q::BY_SID.sqlite(), [sid, service_sid], |r| row::media(r, 0)))
            .await
            .map(|found| found.map(|k| k.item))
    }

    async fn attach_media(
        &self,
        service_sid: &str,
        sid: &str,
        channel_sid: &str,
        message_sid: &str,
        now: Timestamp,
    ) -> Result<AttachMedia, StoreError> {
        let (service_sid, sid) = (service_sid.to_owned(), sid.to_owned());
        let (channel_sid, message_sid) = (channel_sid.to_owned(), message_sid.to_owned());
        self.write(move |c| {
            let now = time::format(&now);
            let args = params![sid, service_sid, channel_sid, message_sid, now];
            if query_first(c, q::ATTACH.sqlite(), args, |r| row::media(r, 0))?.is_some() {
                return Ok(AttachMedia::Attached);
            }
            let exists = query_first(c, q::BY_SID.sqlite(), [&sid, &service_sid], |r| row::media(r, 0))?;
            Ok(if exists.is_some() {
                AttachMedia::Taken
            } else {
                AttachMedia::NotFound
            })
        })
        .await
    }

    async fn detach_media(&self, sid: &str, message_sid: &str) -> Result<bool, StoreError> {
        let (sid, message_sid) = (sid.to_owned(), message_sid.to_owned());
        self.write(move |c| {
            let n = c.execute(q::DETACH.sqlite(), [&sid, &message_sid]).map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_media(&self, service_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (service_sid, sid) = (service_sid.to_owned(), sid.to_owned());
        self.write(move |c| {
            let n = c.execute(q::DELETE.sqlite(), [&sid, &service_sid]).map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    async fn existing_media(&self, sids: &[String]) -> Result<Vec<String>, StoreError> {
        let list = super::channels::json_list(sids);
        self.read(|c| query_rows(c, q::EXISTING_SQLITE.sqlite(), [list], |r| Cursor::new(r, 0).text()))
            .await
    }
}
