//! The records only the Conversations API has: the account's Conversations configuration,
//! address configurations, and a service's Conversations-only settings.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// An account's Conversations configuration (`/v1/Configuration`): which service the
/// top-level Conversations resources act on, and the account-wide defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationsAccount {
    /// The account.
    pub account_sid: String,
    /// The default Conversations service (a Chat service).
    pub default_service_sid: String,
    /// Everything else, stored as JSON.
    pub settings: ConversationsSettings,
}

/// The account-wide Conversations defaults, stored as JSON next to the default service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConversationsSettings {
    /// `default_messaging_service_sid`.
    pub default_messaging_service_sid: Option<String>,
    /// `default_inactive_timer` (ISO-8601 duration).
    pub default_inactive_timer: Option<String>,
    /// `default_closed_timer` (ISO-8601 duration).
    pub default_closed_timer: Option<String>,
    /// `/v1/Configuration/Webhooks`: `method`.
    pub webhook_method: Option<String>,
    /// `/v1/Configuration/Webhooks`: `filters`.
    pub webhook_filters: Vec<String>,
    /// `/v1/Configuration/Webhooks`: `pre_webhook_url`.
    pub pre_webhook_url: Option<String>,
    /// `/v1/Configuration/Webhooks`: `post_webhook_url`.
    pub post_webhook_url: Option<String>,
    /// `/v1/Configuration/Webhooks`: `target` (`webhook` or `flex`).
    pub webhook_target: Option<String>,
}

/// What a list of conversations keeps (`State`, `StartDate`, `EndDate`; `None` keeps all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationFilter {
    /// Only conversations in this state.
    pub state: Option<String>,
    /// Only conversations created on this day (`YYYY-MM-DD`, UTC) or later.
    pub start_date: Option<String>,
    /// Only conversations created on this day (`YYYY-MM-DD`, UTC) or earlier.
    pub end_date: Option<String>,
}

/// An address configuration of the Conversations API (`/v1/Configuration/Addresses`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressConfig {
    /// `IG…`
    pub sid: String,
    /// The account.
    pub account_sid: String,
    /// `type` (`sms`, `whatsapp`, …).
    pub address_type: String,
    /// `address`
    pub address: String,
    /// `friendly_name`
    pub friendly_name: Option<String>,
    /// `auto_creation`, stored as JSON.
    pub auto_creation: AutoCreation,
    /// `address_country`
    pub address_country: Option<String>,
    /// Created.
    pub date_created: Timestamp,
    /// Last updated.
    pub date_updated: Timestamp,
}

/// `auto_creation` of an address configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutoCreation {
    /// `enabled`
    pub enabled: bool,
    /// `type` (`webhook`, `studio` or `default`).
    pub kind: Option<String>,
    /// `conversation_service_sid`
    pub conversation_service_sid: Option<String>,
    /// `webhook_url`
    pub webhook_url: Option<String>,
    /// `webhook_method`
    pub webhook_method: Option<String>,
    /// `webhook_filters`
    pub webhook_filters: Vec<String>,
    /// `studio_flow_sid`
    pub studio_flow_sid: Option<String>,
    /// `studio_retry_count`
    pub studio_retry_count: Option<i64>,
}

/// The settings of a service that only the Conversations API has.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConversationsServiceSettings {
    /// `Configuration/Webhooks` `Filters`, under Conversations' event names (Chat's
    /// `WebhookFilters` name Chat's events; the URLs and method are shared).
    pub webhook_filters: Vec<String>,
    /// `NewMessage.WithMedia.Enabled`.
    pub new_message_with_media_enabled: bool,
    /// `NewMessage.WithMedia.Template`.
    pub new_message_with_media_template: Option<String>,
    /// The account's `/v1/Configuration/Webhooks`, copied onto its default Conversations
    /// service (and only there) so a write reads just its service to find its receivers.
    pub account_webhooks: Option<AccountWebhooks>,
}

/// The account-level Conversations webhooks, as their default service carries them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountWebhooks {
    /// Pre-event URL.
    pub pre_webhook_url: Option<String>,
    /// Post-event URL.
    pub post_webhook_url: Option<String>,
    /// `GET` or `POST`.
    pub method: Option<String>,
    /// The Conversations events that fire.
    pub filters: Vec<String>,
}
