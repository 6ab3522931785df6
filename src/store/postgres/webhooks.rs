//! Channel webhooks on PostgreSQL. The configuration is one JSON document.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::{PgStore, execute, finish_page, map_rows, page_clause, query_opt, to_json, ts};
use crate::store::{AddWebhook, ChannelWebhook, Keyed, PageReq, StoreError, WebhookStore};
use crate::time;

const COLUMNS: &str =
    "seq, sid, account_sid, service_sid, channel_sid, type, configuration, date_created, date_updated";

fn webhook_row(r: &Row) -> Result<Keyed<ChannelWebhook>, StoreError> {
    let config: &str = r.try_get(6)?;
    Ok(Keyed {
        key: r.try_get(0)?,
        item: ChannelWebhook {
            sid: r.try_get(1)?,
            account_sid: r.try_get(2)?,
            service_sid: r.try_get(3)?,
            channel_sid: r.try_get(4)?,
            webhook_type: r.try_get(5)?,
            configuration: serde_json::from_str(config).unwrap_or_default(),
            date_created: ts(r.try_get(7)?),
            date_updated: ts(r.try_get(8)?),
        },
    })
}

#[async_trait]
impl WebhookStore for PgStore {
    async fn insert_webhook(&self, w: &ChannelWebhook, max: i64) -> Result<AddWebhook, StoreError> {
        let config = to_json(&w.configuration)?;
        self.write(&(w, max, config), |t, (w, max, config)| {
            Box::pin(async move {
                // Lock the channel so that concurrent inserts count each other.
                query_opt(t, "select 1 from channels where sid = $1 for update", &[&w.channel_sid]).await?;
                let count: i64 = query_opt(
                    t,
                    "select count(*) from channel_webhooks where channel_sid = $1",
                    &[&w.channel_sid],
                )
                .await?
                .map_or(Ok(0), |r| r.try_get(0))?;
                if count >= *max {
                    return Ok(AddWebhook::TooMany);
                }
                execute(
                    t,
                    "insert into channel_webhooks (sid, account_sid, service_sid, channel_sid, type, configuration, \
                     date_created, date_updated) values ($1, $2, $3, $4, $5, $6, $7, $8)",
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
        let rows = self
            .read(
                &format!("select {COLUMNS} from channel_webhooks where sid = $1 and channel_sid = $2"),
                &[&sid, &channel_sid],
            )
            .await?;
        Ok(map_rows(&rows, webhook_row)?.pop().map(|k| k.item))
    }

    async fn list_webhooks(&self, channel_sid: &str, page: PageReq) -> Result<Vec<Keyed<ChannelWebhook>>, StoreError> {
        let (tail, bound, limit, reversed) = page_clause("seq", &page);
        let rows = self
            .read(
                &format!("select {COLUMNS} from channel_webhooks where channel_sid = $1 and {tail}"),
                &[&channel_sid, &bound, &limit],
            )
            .await?;
        Ok(finish_page(map_rows(&rows, webhook_row)?, reversed))
    }

    async fn update_webhook(&self, w: &ChannelWebhook) -> Result<bool, StoreError> {
        let config = to_json(&w.configuration)?;
        self.write(&(w, config), |t, (w, config)| {
            Box::pin(async move {
                let n = execute(
                    t,
                    "update channel_webhooks set configuration = $1, date_updated = $2 \
                     where sid = $3 and channel_sid = $4",
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
                let n = execute(
                    t,
                    "delete from channel_webhooks where sid = $1 and channel_sid = $2",
                    &[sid, channel_sid],
                )
                .await?;
                Ok(n > 0)
            })
        })
        .await
    }
}
