//! SQLite is one process: no cross-process notices; account deletion.

use async_trait::async_trait;

use super::{SqliteStore, other};
use crate::store::{NoticeStore, StoreError};

#[async_trait]
impl NoticeStore for SqliteStore {
    async fn notify(&self, _payload: &str) -> Result<bool, StoreError> {
        Ok(false)
    }

    fn notices(&self) -> Option<tokio::sync::broadcast::Receiver<String>> {
        None
    }

    fn shared(&self) -> bool {
        false
    }

    async fn delete_account(&self, sid: &str) -> Result<bool, StoreError> {
        let sid = sid.to_owned();
        self.write(move |c| {
            c.execute("delete from services where account_sid = ?1", [&sid])
                .map_err(other)?;
            c.execute("delete from credentials where account_sid = ?1", [&sid])
                .map_err(other)?;
            let n = c
                .execute("delete from accounts where sid = ?1", [&sid])
                .map_err(other)?;
            c.execute("update auth_epoch set epoch = epoch + 1 where id = 1", [])
                .map_err(other)?;
            Ok(n > 0)
        })
        .await
    }
}
