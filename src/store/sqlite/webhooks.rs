//! Channel webhooks on SQLite (SQL in `store::queries::webhooks`). The configuration is one
//! JSON document.

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteStore, finish_page, other, query_first, query_rows};
use crate::store::queries::webhooks as q;
use crate::store::row::{self, Cursor};
use crate::store::{AddWebhook, ChannelWebhook, Keyed, PageReq, StoreError, WebhookStore};
use crate::time;

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn insert_webhook(&self, w: &ChannelWebhook, max: i64) -> Result<AddWebhook, StoreError> {
        let w = w.clone();
        let config = serde_json::to_string(&w.configuration).map_err(StoreError::other)?;
        self.write(move |c| {
            let count = query_first(c, q::COUNT.sqlite(), [&w.channel_sid], |r| Cursor::new(r, 0).int())?;
            if count.unwrap_or(0) >= max {
                return Ok(AddWebhook::TooMany);
            }
            c.prepare_cached(q::INSERT.sqlite())
                .and_then(|mut s| {
                    s.execute(params![
                        w.sid,
                        w.account_sid,
                        w.service_sid,
                        w.channel_sid,
                        w.webhook_type,
                        config,
                        time::format(&w.date_created),
                        time::format(&w.date_updated)
                    ])
                })
                .map_err(other)?;
            Ok(AddWebhook::Added)
        })
        .await
    }

    async fn webhook(&self, channel_sid: &str, sid: &str) -> Result<Option<ChannelWebhook>, StoreError> {
        self.read(|c| query_first(c, q::BY_SID.sqlite(), [sid, channel_sid], |r| row::webhook(r, 0)))
            .await
            .map(|found| found.map(|k| k.item))
    }

    async fn list_webhooks(&self, channel_sid: &str, page: PageReq) -> Result<Vec<Keyed<ChannelWebhook>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST.pick(&page);
        self.read(|c| {
            let rows = query_rows(c, sql.sqlite(), params![channel_sid, bound, limit], |r| {
                row::webhook(r, 0)
            })?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_webhook(&self, w: &ChannelWebhook) -> Result<bool, StoreError> {
        let w = w.clone();
        let config = serde_json::to_string(&w.configuration).map_err(StoreError::other)?;
        self.write(move |c| {
            let n = c
                .prepare_cached(q::UPDATE.sqlite())
                .and_then(|mut s| s.execute(params![config, time::format(&w.date_updated), w.sid, w.channel_sid]))
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_webhook(&self, channel_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (channel_sid, sid) = (channel_sid.to_owned(), sid.to_owned());
        self.write(move |c| {
            let n = c
                .prepare_cached(q::DELETE.sqlite())
                .and_then(|mut s| s.execute([sid, channel_sid]))
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }
}
