//! The records the store reads and writes. Plain data: no SQL, no HTTP.

use serde::{Deserialize, Serialize};

pub use super::changes::{Change, ChangeHead, ChangeKind};
pub use super::conversations::{
    AccountWebhooks, AddressConfig, AutoCreation, ConversationFilter, ConversationsAccount,
    ConversationsServiceSettings, ConversationsSettings,
};
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
    /// What only the Conversations API sets (absent from services stored before it).
    #[serde(default)]
    pub conversations: ConversationsServiceSettings,
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

/// A channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// `CH…`
    pub sid: String,
    /// The owning account.
    pub account_sid: String,
    /// The owning service.
    pub service_sid: String,
    /// Display name.
    pub friendly_name: Option<String>,
    /// Unique (per service) name usable in URLs instead of the SID.
    pub unique_name: Option<String>,
    /// JSON text.
    pub attributes: String,
    /// `public` or `private`.
    pub channel_type: String,
    /// Identity of the creator (`system` for REST).
    pub created_by: String,
    /// Current members (maintained by the store).
    pub members_count: i64,
    /// Current messages (maintained by the store).
    pub messages_count: i64,
    /// SID of the highest-index message, if any (maintained by the store).
    pub last_message_sid: Option<String>,
    /// Creation time.
    pub date_created: Timestamp,
    /// Last update time.
    pub date_updated: Timestamp,
    /// The conversation state (`active`, `inactive` or `closed`; Conversations API).
    pub state: String,
    /// The Messaging Service of the conversation (Conversations API, Chat v3).
    pub messaging_service_sid: Option<String>,
    /// The conversation's timers (Conversations API).
    pub timers: super::ConversationTimers,
}

/// A user's membership in a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// `MB…`
    pub sid: String,
    /// The owning account.
    pub account_sid: String,
    /// The owning service.
    pub service_sid: String,
    /// The channel.
    pub channel_sid: String,
    /// The user's identity.
    pub identity: String,
    /// Channel role.
    pub role_sid: Option<String>,
    /// JSON text.
    pub attributes: String,
    /// Read horizon.
    pub last_consumed_message_index: Option<i64>,
    /// When the horizon was last moved.
    pub last_consumption_timestamp: Option<Timestamp>,
    /// `default` or `muted` (None means default).
    pub notification_level: Option<String>,
    /// Creation time.
    pub date_created: Timestamp,
    /// Last update time.
    pub date_updated: Timestamp,
    /// A Conversations participant's `messaging_binding` as JSON (SMS, WhatsApp, or a chat
    /// participant's projected address); `None` for a plain chat member.
    pub messaging_binding: Option<String>,
}

/// A message in a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `IM…`
    pub sid: String,
    /// The owning account.
    pub account_sid: String,
    /// The owning service.
    pub service_sid: String,
    /// The channel.
    pub channel_sid: String,
    /// Position in the channel: unique, gap-free, assigned by the store at insert.
    pub index: i64,
    /// Author identity.
    pub from: String,
    /// Text.
    pub body: String,
    /// JSON text, if set.
    pub attributes: Option<String>,
    /// Attached media: a copy of its description.
    pub media: Option<MessageMedia>,
    /// Whether body or attributes changed after creation.
    pub was_edited: bool,
    /// Identity of the last editor.
    pub last_updated_by: Option<String>,
    /// Creation time.
    pub date_created: Timestamp,
    /// Last update time.
    pub date_updated: Timestamp,
}

/// The media of a media message, as the message carries it (copied from the [`Media`] record,
/// which never changes after upload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageMedia {
    /// `ME…`
    pub sid: String,
    /// Size in bytes.
    pub size: i64,
    /// MIME type.
    pub content_type: String,
    /// File name, when the uploader gave one.
    pub filename: Option<String>,
}

/// An uploaded media file (Media Content Service); its bytes live in the media storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// `ME…`
    pub sid: String,
    /// The owning account.
    pub account_sid: String,
    /// The owning service.
    pub service_sid: String,
    /// The channel of the message it is attached to.
    pub channel_sid: Option<String>,
    /// The message it is attached to.
    pub message_sid: Option<String>,
    /// The uploader's identity (`system` for the operator).
    pub author: String,
    /// File name, when given.
    pub filename: Option<String>,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// `media` (or `body`/`history` for Conversations' e-mail parts).
    pub category: String,
    /// Creation time.
    pub date_created: Timestamp,
    /// Last update time (attachment to a message).
    pub date_updated: Timestamp,
    /// When the bytes were stored.
    pub date_upload_updated: Timestamp,
}

impl Media {
    /// The description a message carries of this media.
    #[must_use]
    pub fn for_message(&self) -> MessageMedia {
        MessageMedia {
            sid: self.sid.clone(),
            size: self.size,
            content_type: self.content_type.clone(),
            filename: self.filename.clone(),
        }
    }
}

/// An invitation of a user to a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// `IN…`
    pub sid: String,
    /// The owning account.
    pub account_sid: String,
    /// The owning service.
    pub service_sid: String,
    /// The channel.
    pub channel_sid: String,
    /// Invited identity.
    pub identity: String,
    /// Role the member gets on joining.
    pub role_sid: Option<String>,
    /// Inviter identity.
    pub created_by: Option<String>,
    /// Creation time.
    pub date_created: Timestamp,
    /// Last update time.
    pub date_updated: Timestamp,
}

/// A channel as seen from one user: membership or invitation, with unread count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserChannel {
    /// The channel.
    pub channel: Channel,
    /// `joined` or `invited`.
    pub status: String,
    /// The membership (`MB…`), when joined.
    pub member_sid: Option<String>,
    /// The member's read horizon.
    pub last_consumed_message_index: Option<i64>,
    /// Messages after the read horizon; `None` without a horizon.
    pub unread_messages_count: Option<i64>,
    /// `default` or `muted` (None means default).
    pub notification_level: Option<String>,
}

/// Configuration of a channel webhook.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WebhookConfig {
    /// Target URL (webhook, trigger).
    pub url: Option<String>,
    /// `GET` or `POST`.
    pub method: Option<String>,
    /// Event names (webhook).
    pub filters: Option<Vec<String>>,
    /// Keywords (trigger).
    pub triggers: Option<Vec<String>>,
    /// Studio flow (`FW…`).
    pub flow_sid: Option<String>,
    /// Retries, 0–3.
    pub retry_count: Option<i64>,
}

/// A webhook scoped to one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelWebhook {
    /// `WH…`
    pub sid: String,
    /// The owning account.
    pub account_sid: String,
    /// The owning service.
    pub service_sid: String,
    /// The channel.
    pub channel_sid: String,
    /// `webhook`, `trigger` or `studio`.
    pub webhook_type: String,
    /// Where and when to deliver.
    pub configuration: WebhookConfig,
    /// Creation time.
    pub date_created: Timestamp,
    /// Last update time.
    pub date_updated: Timestamp,
}

/// A push binding of a user's device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// `BS…`
    pub sid: String,
    /// The owning account.
    pub account_sid: String,
    /// The owning service.
    pub service_sid: String,
    /// The user's identity.
    pub identity: String,
    /// Device address.
    pub endpoint: String,
    /// Push credential used.
    pub credential_sid: Option<String>,
    /// `apn`, `gcm` or `fcm`.
    pub binding_type: String,
    /// Push types received.
    pub message_types: Vec<String>,
    /// Creation time.
    pub date_created: Timestamp,
    /// Last update time.
    pub date_updated: Timestamp,
}

/// A webhook delivery written in the same transaction as the change that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Stable delivery id, sent as a header so receivers can deduplicate.
    pub id: String,
    /// The account whose Auth Token signs the request.
    pub account_sid: String,
    /// Deliveries with the same key are delivered in order (the channel, or the service).
    pub ordering_key: String,
    /// Target URL.
    pub url: String,
    /// `GET` or `POST`.
    pub method: String,
    /// Twilio event name (`onMessageSent`, ...).
    pub event_type: String,
    /// Form parameters, in order. For a new message the store appends `Index`.
    pub params: Vec<(String, String)>,
    /// Attempts allowed in total (1 + retry count).
    pub max_attempts: i64,
    /// When the row was written.
    pub date_created: Timestamp,
}

/// An outbox row claimed for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// The row.
    pub row: OutboxRow,
    /// Attempts made so far.
    pub attempts: i64,
}
