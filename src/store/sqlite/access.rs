//! End users' channel reads on SQLite (SQL in `store::queries::access`).

use async_trait::async_trait;

use super::{SqliteStore, query_first};
use crate::sid;
use crate::store::StoreError;
use crate::store::access::{self, AccessStore, ChannelAccess};
use crate::store::queries::access as q;

#[async_trait]
impl AccessStore for SqliteStore {
    async fn channel_access(
        &self,
        service_sid: &str,
        key: &str,
        identity: &str,
    ) -> Result<Option<ChannelAccess>, StoreError> {
        let sql = if sid::is_sid(sid::CHANNEL, key) {
            &q::BY_SID
        } else {
            &q::BY_UNIQUE_NAME
        };
        self.read(|c| query_first(c, sql.sqlite(), [key, service_sid, identity], |r| access::decode(r)))
            .await
    }
}
