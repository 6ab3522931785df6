//! The records the store reads and writes. Plain data: no SQL, no HTTP.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// A tenant: everything else belongs to exactly one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// `AC…`
    pub sid: String,
    /// The secret half of HTTP Basic auth; also signs webhooks.
    pub auth_token: String,
    /// A label for operators.
    pub friendly_name: String,
    /// When the account was created.
    pub date_created: Timestamp,
}

/// An API key that acts for its account (`SK…` + secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// `SK…`
    pub sid: String,
    /// The owning account.
    pub account_sid: String,
    /// The secret; also signs Access Tokens.
    pub secret: String,
    /// A label for operators.
    pub friendly_name: String,
    /// When the key was created.
    pub date_created: Timestamp,
}

/// A Chat service.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// `IS…`
    pub sid: String,
    /// The owning account.
    pub account_sid: String,
    /// Display name.
    pub friendly_name: String,
    /// Creation time.
    pub date_created: Timestamp,
    /// Last update time.
    pub date_updated: Timestamp,
    /// Optimistic-concurrency counter, bumped on every update.
    pub revision: i64,
    /// Every setting Twilio lets you change with UpdateService.
    pub settings: ServiceSettings,
}

/// The settings of a service, stored as one JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSettings {
    /// Role given to new users (deployment type).
    pub default_service_role_sid: Option<String>,
    /// Role given to new members (channel type).
    pub default_channel_role_sid: Option<String>,
    /// Role given to a channel's creator (channel type).
    pub default_channel_creator_role_sid: Option<String>,
    /// Consumption horizon on/off.
    pub read_status_enabled: bool,
    /// Reachability indicators on/off.
    pub reachability_enabled: bool,
    /// Seconds.
    pub typing_indicator_timeout: i64,
    /// Seconds (deprecated by Twilio, still reported).
    pub consumption_report_interval: i64,
    /// `Limits.ChannelMembers`.
    pub limit_channel_members: i64,
    /// `Limits.UserChannels`.
    pub limit_user_channels: i64,
    /// Pre-event webhook URL.
    pub pre_webhook_url: Option<String>,
    /// Post-event webhook URL.
    pub post_webhook_url: Option<String>,
    /// `GET` or `POST`; `None` until set (webhooks then use POST).
    pub webhook_method: Option<String>,
    /// Events to deliver; `None` until set.
    pub webhook_filters: Option<Vec<String>>,
    /// Retries for pre-event hooks.
    pub pre_webhook_retry_count: i64,
    /// Retries for post-event hooks.
    pub post_webhook_retry_count: i64,
    /// Push notification settings.
    pub notifications: Notifications,
    /// `Media.CompatibilityMessage`.
    pub media_compatibility_message: Option<String>,
}

/// `notifications` of a service.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Notifications {
    /// `Notifications.LogEnabled`.
    pub log_enabled: bool,
    /// `Notifications.NewMessage.*`.
    pub new_message: NotificationKind,
    /// `Notifications.AddedToChannel.*`.
    pub added_to_channel: NotificationKind,
    /// `Notifications.RemovedFromChannel.*`.
    pub removed_from_channel: NotificationKind,
    /// `Notifications.InvitedToChannel.*`.
    pub invited_to_channel: NotificationKind,
}

/// One kind of push notification.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NotificationKind {
    /// Whether the push is sent.
    pub enabled: bool,
    /// Message template, if set.
    pub template: Option<String>,
    /// Sound name, if set.
    pub sound: Option<String>,
    /// Badge counting (new messages only).
    pub badge_count_enabled: Option<bool>,
}

/// The two kinds of role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleType {
    /// Applies within a channel (members).
    Channel,
    /// Applies service-wide (users).
    Deployment,
}

impl RoleType {
    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::Deployment => "deployment",
        }
    }

    /// Parses the wire name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "channel" => Some(Self::Channel),
            "deployment" => Some(Self::Deployment),
            _ => None,
        }
    }
}

/// A role: a named set of permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// `RL…`
    pub sid: String,
    /// The owning account.
    pub account_sid: String,
    /// The owning service.
    pub service_sid: String,
    /// Display name (immutable).
    pub friendly_name: String,
    /// Channel or deployment.
    pub role_type: RoleType,
    /// Permission names, in the order given.
    pub permissions: Vec<String>,
    /// Creation time.
    pub date_created: Timestamp,
    /// Last update time.
    pub date_updated: Timestamp,
}

/// A chat user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// `US…`
    pub sid: String,
    /// The owning account.
    pub account_sid: String,
    /// The owning service.
    pub service_sid: String,
    /// The user's deployment role.
    pub role_sid: Option<String>,
    /// Unique (case-sensitive) name within the service.
    pub identity: String,
    /// JSON text, echoed verbatim.
    pub attributes: Option<String>,
    /// Display name.
    pub friendly_name: Option<String>,
    /// Channels the user is a member of.
    pub joined_channels_count: i64,
    /// Creation time.
    pub date_created: Timestamp,
    /// Last update time.
    pub date_updated: Timestamp,
}

/// A push credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// `CR…`
    pub sid: String,
    /// The owning account.
    pub account_sid: String,
    /// Display name.
    pub friendly_name: Option<String>,
    /// `apn`, `gcm` or `fcm`.
    pub credential_type: String,
    /// APNs sandbox flag (APNs only).
    pub sandbox: Option<bool>,
    /// APNs certificate (PEM); never returned.
    pub certificate: Option<String>,
    /// APNs private key (PEM); never returned.
    pub private_key: Option<String>,
    /// GCM API key; never returned.
    pub api_key: Option<String>,
    /// FCM server key; never returned.
    pub secret: Option<String>,
    /// Creation time.
    pub date_created: Timestamp,
    /// Last update time.
    pub date_updated: Timestamp,
}
