//! Notices between nodes through `LISTEN`/`NOTIFY` on the channel `banter`, and account deletion.
//!
//! One dedicated connection per process listens (reconnecting after a second when it drops)
//! and forwards payloads to a broadcast channel. After every (re)connect it sends the payload
//! `reconnected`, so subscribers re-check what they may have missed (the auth epoch).

use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use tokio::sync::broadcast;
use tokio_postgres::{AsyncMessage, NoTls};

use super::{PgStore, execute};
use crate::store::{NoticeStore, StoreError};

/// The `NOTIFY` channel.
pub(super) const CHANNEL: &str = "banter";

/// Keeps one listening connection open for the life of the process.
pub(super) fn spawn_listener(config: tokio_postgres::Config, tx: broadcast::Sender<String>) {
    tokio::spawn(async move {
        loop {
            match config.connect(NoTls).await {
                Ok((client, mut connection)) => {
                    let forward = tx.clone();
                    let driver = tokio::spawn(async move {
                        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                        while let Some(message) = messages.next().await {
                            match message {
                                Ok(AsyncMessage::Notification(n)) => {
                                    let _ = forward.send(n.payload().to_owned());
                                }
                                Ok(_) => {}
                                Err(e) => {
                                    tracing::warn!(error = %e, "notice connection lost");
                                    break;
                                }
                            }
                        }
                    });
                    match client.batch_execute(&format!("listen {CHANNEL}")).await {
                        Ok(()) => {
                            let _ = tx.send("reconnected".to_owned());
                        }
                        Err(e) => tracing::warn!(error = %e, "cannot listen for notices"),
                    }
                    let _ = driver.await;
                    drop(client);
                }
                Err(e) => tracing::warn!(error = %e, "cannot open the notice connection"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

#[async_trait]
impl NoticeStore for PgStore {
    async fn notify(&self, payload: &str) -> Result<bool, StoreError> {
        // One autocommit statement: a notice cannot lose a serialization race, so there is
        // nothing for a transaction and its retries to add (this runs after every message).
        self.read("select pg_notify($1, $2)", &[&CHANNEL, &payload]).await?;
        Ok(true)
    }

    fn notices(&self) -> Option<broadcast::Receiver<String>> {
        Some(self.notices.subscribe())
    }

    fn shared(&self) -> bool {
        true
    }

    async fn delete_account(&self, sid: &str) -> Result<bool, StoreError> {
        self.write(sid, |t, sid| {
            Box::pin(async move {
                execute(t, "delete from services where account_sid = $1", &[&sid]).await?;
                execute(t, "delete from credentials where account_sid = $1", &[&sid]).await?;
                execute(t, "delete from api_keys where account_sid = $1", &[&sid]).await?;
                let n = execute(t, "delete from accounts where sid = $1", &[&sid]).await?;
                execute(t, "update auth_epoch set epoch = epoch + 1 where id = 1", &[]).await?;
                execute(t, "select pg_notify($1, 'auth')", &[&CHANNEL]).await?;
                Ok(n > 0)
            })
        })
        .await
    }
}
