//! Channel webhooks on PostgreSQL (SQL in `store::queries::webhooks`). The configuration is one
//! JSON document.

use async_trait::async_trait;

use super::{PgStore, execute, finish_page, map_rows, query_opt};
use crate::store::queries::webhooks as q;
use crate::store::row::{self, Cursor};
use crate::store::{AddWebhook, ChannelWebhook, Keyed, PageReq, StoreError, WebhookStore};
use crate::time;

#[async_trait]
impl WebhookStore for PgStore {
    async fn insert_webhook(&self, w: &ChannelWebhook, max: i64) -> Result<AddWebhook, StoreError> {
        let config = serde_json::to_string(&w.configuration).map_err(StoreError::other)?;
        self.write(&(w, max, config), |t, (w, max, config)| {
            Box::pin(async move {
                // Lock the channel so that concurrent inserts count each other.
                query_opt(t, "select 1 from channels where sid = $1 for update", &[&w.channel_sid]).await?;
                let count = match query_opt(t, q::COUNT.pg(), &[&w.channel_sid]).await? {
                    Some(r) => Cursor::new(&r, 0).int()?,
                    None => 0,
                };
                if count >= *max {
                    return Ok(AddWebhook::TooMany);
                }
                execute(
                    t,
                    q::INSERT.pg(),
                    &[
                        &w.sid,
                        &w.account_sid,
                        &w.service_sid,
                        &w.channel_sid,
                        &w.webhook_type,
                        config,
                        &time::format(&w.date_created),
                        &time::format(&w.date_updated),
                    ],
                )
                .await?;
                Ok(AddWebhook::Added)
            })
        })
        .await
    }

    async fn webhook(&self, channel_sid: &str, sid: &str) -> Result<Option<ChannelWebhook>, StoreError> {
        let rows = self.read(q::BY_SID.pg(), &[&sid, &channel_sid]).await?;
        Ok(map_rows(&rows, |r| row::webhook(r, 0))?.pop().map(|k| k.item))
    }

    async fn list_webhooks(&self, channel_sid: &str, page: PageReq) -> Result<Vec<Keyed<ChannelWebhook>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST.pick(&page);
        let rows = self.read(sql.pg(), &[&channel_sid, &bound, &limit]).await?;
        Ok(finish_page(map_rows(&rows, |r| row::webhook(r, 0))?, reversed))
    }

    async fn update_webhook(&self, w: &ChannelWebhook) -> Result<bool, StoreError> {
        let config = serde_json::to_string(&w.configuration).map_err(StoreError::other)?;
        self.write(&(w, config), |t, (w, config)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    q::UPDATE.pg(),
                    &[config, &time::format(&w.date_updated), &w.sid, &w.channel_sid],
                )
                .await?;
                Ok(n > 0)
            })
        })
        .await
    }

    async fn delete_webhook(&self, channel_sid: &str, sid: &str) -> Result<bool, StoreError> {
        self.write(&(channel_sid, sid), |t, (channel_sid, sid)| {
            Box::pin(async move {
                let n = execute(t, q::DELETE.pg(), &[sid, channel_sid]).await?;
                Ok(n > 0)
            })
        })
        .await
    }
}
