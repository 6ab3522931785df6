//! Media records on PostgreSQL (SQL in `store::queries::media`).

use async_trait::async_trait;

use super::{PgStore, execute, map_rows, query_opt};
use crate::store::queries::media as q;
use crate::store::row::{self, Cursor};
use crate::store::{AttachMedia, Media, MediaStore, StoreError};
use crate::time::{self, Timestamp};

#[async_trait]
impl MediaStore for PgStore {
    async fn insert_media(&self, m: &Media) -> Result<(), StoreError> {
        self.write(m, |t, m| {
            Box::pin(async move {
                execute(
                    t,
                    q::INSERT.pg(),
                    &[
                        &m.sid,
                        &m.account_sid,
                        &m.service_sid,
                        &m.channel_sid,
                        &m.message_sid,
                        &m.author,
                        &m.filename,
                        &m.content_type,
                        &m.size,
                        &m.category,
                        &time::format(&m.date_created),
                        &time::format(&m.date_updated),
                        &time::format(&m.date_upload_updated),
                    ],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn media(&self, service_sid: &str, sid: &str) -> Result<Option<Media>, StoreError> {
        let rows = self.read(q::BY_SID.pg(), &[&sid, &service_sid]).await?;
        Ok(map_rows(&rows, |r| row::media(r, 0))?.pop().map(|k| k.item))
    }

    async fn attach_media(
        &self,
        service_sid: &str,
        sid: &str,
        channel_sid: &str,
        message_sid: &str,
        now: Timestamp,
    ) -> Result<AttachMedia, StoreError> {
        let now = time::format(&now);
        let args = (service_sid, sid, channel_sid, message_sid, now.as_str());
        self.write(&args, |t, (service_sid, sid, channel_sid, message_sid, now)| {
            Box::pin(async move {
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
                    [sid, service_sid, channel_sid, message_sid, now];
                if query_opt(t, q::ATTACH.pg(), &params).await?.is_some() {
                    return Ok(AttachMedia::Attached);
                }
                let exists = query_opt(t, q::BY_SID.pg(), &[sid, service_sid]).await?.is_some();
                Ok(if exists {
                    AttachMedia::Taken
                } else {
                    AttachMedia::NotFound
                })
            })
        })
        .await
    }

    async fn detach_media(&self, sid: &str, message_sid: &str) -> Result<bool, StoreError> {
        self.write(&(sid, message_sid), |t, (sid, message_sid)| {
            Box::pin(async move { Ok(execute(t, q::DETACH.pg(), &[sid, message_sid]).await? > 0) })
        })
        .await
    }

    async fn delete_media(&self, service_sid: &str, sid: &str) -> Result<bool, StoreError> {
        self.write(&(service_sid, sid), |t, (service_sid, sid)| {
            Box::pin(async move { Ok(execute(t, q::DELETE.pg(), &[sid, service_sid]).await? > 0) })
        })
        .await
    }

    async fn existing_media(&self, sids: &[String]) -> Result<Vec<String>, StoreError> {
        let rows = self.read(q::EXISTING_PG.pg(), &[&sids]).await?;
        map_rows(&rows, |r| Cursor::new(r, 0).text())
    }
}
