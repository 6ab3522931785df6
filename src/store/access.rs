//! What a request of an end user reads about a channel, in one query: the channel, what the
//! identity holds there, and whether the channel has webhooks.

use async_trait::async_trait;

use super::row::{self, CHANNEL_COLUMNS, Cells, Cursor};
use super::{Channel, Grants, StoreError};

/// A channel with what one identity holds in it.
#[derive(Debug, Clone)]
pub struct ChannelAccess {
    /// The channel.
    pub channel: Channel,
    /// What the identity holds; `None` when the service has no such user yet.
    pub grants: Option<Grants>,
    /// Whether the channel has channel webhooks (a write need not list them when it has none).
    pub has_webhooks: bool,
}

/// Reads for end users' requests.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Channel `key` (SID or unique name) of a service, with what `identity` holds in it.
    async fn channel_access(
        &self,
        service_sid: &str,
        key: &str,
        identity: &str,
    ) -> Result<Option<ChannelAccess>, StoreError>;
}

/// Decodes a row of `store::queries::access`.
///
/// # Errors
/// When a cell cannot be read.
pub fn decode(r: &(impl Cells + ?Sized)) -> Result<ChannelAccess, StoreError> {
    let n = CHANNEL_COLUMNS.len();
    let channel = row::channel(r, 0)?.item;
    let grants = row::grants_at(r, n)?;
    let has_webhooks = Cursor::new(r, n + 5).bool()?;
    Ok(ChannelAccess {
        channel,
        grants,
        has_webhooks,
    })
}
