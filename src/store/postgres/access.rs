//! End users' channel reads on PostgreSQL (SQL in `store::queries::access`).

use async_trait::async_trait;

use super::{PgStore, map_rows};
use crate::sid;
use crate::store::StoreError;
use crate::store::access::{self, AccessStore, ChannelAccess};
use crate::store::queries::access as q;

#[async_trait]
impl AccessStore for PgStore {
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
        let rows = self.read(sql.pg(), &[&key, &service_sid, &identity]).await?;
        Ok(map_rows(&rows, access::decode)?.pop())
    }
}
