//! Channel webhooks on SQLite. The configuration is one JSON document.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, finish_page, other, page_clause, ts};
use crate::store::{AddWebhook, ChannelWebhook, Keyed, PageReq, StoreError, WebhookStore};
use crate::time;

const COLUMNS: &str =
    "seq, sid, account_sid, service_sid, channel_sid, type, configuration, date_created, date_updated";

fn webhook_row(r: &Row<'_>) -> rusqlite::Result<Keyed<ChannelWebhook>> {
    let config: String = r.get(6)?;
    Ok(Keyed {
        key: r.get(0)?,
        item: ChannelWebhook {
            sid: r.get(1)?,
            account_sid: r.get(2)?,
            service_sid: r.get(3)?,
            channel_sid: r.get(4)?,
            webhook_type: r.get(5)?,
            configuration: serde_json::from_str(&config).unwrap_or_default(),
            date_created: ts(&r.get::<_, String>(7)?),
            date_updated: ts(&r.get::<_, String>(8)?),
        },
    })
}

fn config_json(w: &ChannelWebhook) -> Result<String, StoreError> {
    serde_json::to_string(&w.configuration).map_err(StoreError::other)
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn insert_webhook(&self, w: &ChannelWebhook, max: i64) -> Result<AddWebhook, StoreError> {
        let w = w.clone();
        let config = config_json(&w)?;
        self.write(move |c| {
            let count: i64 = c
                .prepare_cached("select count(*) from channel_webhooks where channel_sid = ?1")
                .and_then(|mut s| s.query_row([&w.channel_sid], |r| r.get(0)))
                .map_err(other)?;
            if count >= max {
                return Ok(AddWebhook::TooMany);
            }
            c.prepare_cached(
                "insert into channel_webhooks (sid, account_sid, service_sid, channel_sid, type, configuration, \
                 date_created, date_updated) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
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
        let (channel_sid, sid) = (channel_sid.to_owned(), sid.to_owned());
        self.read(move |c| {
            c.prepare_cached(&format!(
                "select {COLUMNS} from channel_webhooks where sid = ?1 and channel_sid = ?2"
            ))
            .and_then(|mut s| s.query_row([sid, channel_sid], webhook_row).optional())
            .map(|r| r.map(|k| k.item))
            .map_err(other)
        })
        .await
    }

    async fn list_webhooks(&self, channel_sid: &str, page: PageReq) -> Result<Vec<Keyed<ChannelWebhook>>, StoreError> {
        let channel_sid = channel_sid.to_owned();
        self.read(move |c| {
            let (tail, bound, limit, reversed) = page_clause("seq", &page);
            let mut s = c
                .prepare_cached(&format!(
                    "select {COLUMNS} from channel_webhooks where channel_sid = ?1 and {tail}"
                ))
                .map_err(other)?;
            let rows = s
                .query_map(params![channel_sid, bound, limit], webhook_row)
                .and_then(Iterator::collect)
                .map_err(other)?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn update_webhook(&self, w: &ChannelWebhook) -> Result<bool, StoreError> {
        let w = w.clone();
        let config = config_json(&w)?;
        self.write(move |c| {
            let n = c
                .execute(
                    "update channel_webhooks set configuration = ?1, date_updated = ?2 where sid = ?3 and channel_sid = ?4",
                    params![config, time::format(&w.date_updated), w.sid, w.channel_sid],
                )
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_webhook(&self, channel_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (channel_sid, sid) = (channel_sid.to_owned(), sid.to_owned());
        self.write(move |c| {
            let n = c
                .execute(
                    "delete from channel_webhooks where sid = ?1 and channel_sid = ?2",
                    [sid, channel_sid],
                )
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }
}
