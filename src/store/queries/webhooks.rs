//! Channel webhooks. The configuration is one JSON document.

use crate::store::row::{WEBHOOK_COLUMNS, columns};
use crate::{paged_sql, shared_sql};

shared_sql! {
    /// How many webhooks channel `$1` has.
    pub COUNT = "select count(*) from channel_webhooks where channel_sid = $1";
    /// Inserts a webhook: sid, account, service, channel, type, configuration (JSON), created,
    /// updated.
    pub INSERT = "insert into channel_webhooks (sid, account_sid, service_sid, channel_sid, type, configuration, \
        date_created, date_updated) values ($1, $2, $3, $4, $5, $6, $7, $8)";
    /// A webhook of channel `$2` by SID `$1`.
    pub BY_SID = format!(
        "select {} from channel_webhooks where sid = $1 and channel_sid = $2",
        columns(WEBHOOK_COLUMNS, "")
    );
    /// Updates a webhook's configuration `$1` and updated `$2`; where sid `$3` and channel `$4`.
    pub UPDATE = "update channel_webhooks set configuration = $1, date_updated = $2 \
        where sid = $3 and channel_sid = $4";
    /// Deletes webhook `$1` of channel `$2`.
    pub DELETE = "delete from channel_webhooks where sid = $1 and channel_sid = $2";
}

paged_sql! {
    /// A page of the webhooks of channel `$1`.
    pub LIST = ("seq", |tail| format!(
        "select {} from channel_webhooks where channel_sid = $1 and {tail}",
        columns(WEBHOOK_COLUMNS, "")
    ));
}
