//! Events: every change a write can make ([`Event`]), with Twilio's pre- and post-event
//! webhook names, and the parameters webhooks carry.
//!
//! Pre-event hooks are called synchronously (through [`PreEventHook`], implemented outside the
//! domain) and may veto or modify an end user's action. Post-event deliveries become
//! [`crate::store::OutboxRow`]s that the store writes in the same transaction as the change.
//! `super::write` is the one place that calls them.

use async_trait::async_trait;
use serde_json::Value;

use crate::store::{Channel, Member, Message, User};
use crate::time::Timestamp;

/// A change a write makes. Each pairs Twilio's pre-event (fired before an end user's action,
/// which it may veto) with its post-event; the bus names every change by [`Event::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A text message was sent.
    MessageSend,
    /// A media message was sent.
    MediaMessageSend,
    /// A message was edited.
    MessageUpdate,
    /// A message was deleted.
    MessageRemove,
    /// A channel was created.
    ChannelAdd,
    /// A channel was changed.
    ChannelUpdate,
    /// A channel was deleted.
    ChannelDestroy,
    /// A member joined or was added.
    MemberAdd,
    /// A member was changed (attributes, role, read horizon, notification level).
    MemberUpdate,
    /// A member left or was removed.
    MemberRemove,
    /// A user was created.
    UserAdd,
    /// A user was changed.
    UserUpdate,
    /// A user was deleted.
    UserRemove,
    /// An identity was invited to a channel.
    InviteAdd,
    /// An invite was withdrawn.
    InviteRemove,
}

impl Event {
    /// Every event.
    pub const ALL: [Self; 15] = [
        Self::MessageSend,
        Self::MediaMessageSend,
        Self::MessageUpdate,
        Self::MessageRemove,
        Self::ChannelAdd,
        Self::ChannelUpdate,
        Self::ChannelDestroy,
        Self::MemberAdd,
        Self::MemberUpdate,
        Self::MemberRemove,
        Self::UserAdd,
        Self::UserUpdate,
        Self::UserRemove,
        Self::InviteAdd,
        Self::InviteRemove,
    ];

    /// Twilio's (pre-event, post-event) webhook names; `None` where Twilio has no such hook.
    #[must_use]
    pub const fn hooks(self) -> (Option<&'static str>, Option<&'static str>) {
        match self {
            Self::MessageSend => (Some("onMessageSend"), Some("onMessageSent")),
            Self::MediaMessageSend => (Some("onMediaMessageSend"), Some("onMediaMessageSent")),
            Self::MessageUpdate => (Some("onMessageUpdate"), Some("onMessageUpdated")),
            Self::MessageRemove => (Some("onMessageRemove"), Some("onMessageRemoved")),
            Self::ChannelAdd => (Some("onChannelAdd"), Some("onChannelAdded")),
            Self::ChannelUpdate => (Some("onChannelUpdate"), Some("onChannelUpdated")),
            Self::ChannelDestroy => (Some("onChannelDestroy"), Some("onChannelDestroyed")),
            Self::MemberAdd => (Some("onMemberAdd"), Some("onMemberAdded")),
            Self::MemberUpdate => (Some("onMemberUpdate"), Some("onMemberUpdated")),
            Self::MemberRemove => (Some("onMemberRemove"), Some("onMemberRemoved")),
            Self::UserAdd => (None, Some("onUserAdded")),
            Self::UserUpdate => (Some("onUserUpdate"), Some("onUserUpdated")),
            Self::UserRemove | Self::InviteAdd | Self::InviteRemove => (None, None),
        }
    }

    /// The pre-event webhook name.
    #[must_use]
    pub const fn pre(self) -> Option<&'static str> {
        self.hooks().0
    }

    /// The post-event webhook name.
    #[must_use]
    pub const fn post(self) -> Option<&'static str> {
        self.hooks().1
    }

    /// The name on the event bus: the post-event's, or Banter's own for changes Twilio has no
    /// webhook for.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::UserRemove => "onUserRemoved",
            Self::InviteAdd => "onInviteAdded",
            Self::InviteRemove => "onInviteRemoved",
            other => match other.post() {
                Some(name) => name,
                None => "onUnknown",
            },
        }
    }

    /// Whether `name` is a webhook event a filter may list.
    #[must_use]
    pub fn is_webhook(name: &str) -> bool {
        Self::ALL
            .iter()
            .any(|e| e.pre() == Some(name) || e.post() == Some(name))
    }
}

/// Form parameters of a webhook request, in order.
pub type Params = Vec<(String, String)>;

/// A synchronous pre-event request.
#[derive(Debug, Clone)]
pub struct HookRequest {
    /// Target URL.
    pub url: String,
    /// `GET` or `POST`.
    pub method: String,
    /// Form parameters (without `RetryCount`, which the caller adds per attempt).
    pub params: Params,
    /// Signs the request.
    pub auth_token: String,
    /// Extra attempts on timeout, 429, 503 or 504.
    pub retry_count: i64,
}

/// Why a pre-event hook did not approve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookFailure {
    /// It answered with this non-2xx status.
    Rejected(u16),
    /// No usable answer on any attempt: refused target, unreachable, not HTTP, timed out, or an
    /// answer too large to read. Deliberately carries no reason, so none can reach the tenant
    /// (the caller logs it): these cases must look the same from outside.
    NoAnswer,
}

/// Calls pre-event webhooks. Implemented by `crate::webhooks` with a real HTTP client.
#[async_trait]
pub trait PreEventHook: Send + Sync {
    /// Calls the hook; `Ok(Some(json))` when it approved with a JSON body.
    async fn call(&self, request: HookRequest) -> Result<Option<Value>, HookFailure>;
}

/// Formats dates as webhook parameters carry them (milliseconds, `Z`).
pub(super) fn ms(t: &Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// One webhook parameter.
pub(super) fn p(name: &str, value: impl Into<String>) -> (String, String) {
    (name.to_owned(), value.into())
}

/// Parameters of message events (`MessageSid` and `Index` only once they exist).
pub(super) fn message_params(m: &Message, stored: bool) -> Params {
    let mut v = vec![
        p("ChannelSid", &m.channel_sid),
        p("Body", &m.body),
        p("Attributes", m.attributes.as_deref().unwrap_or("{}")),
        p("From", &m.from),
        p("DateCreated", ms(&m.date_created)),
    ];
    if let Some(media) = &m.media {
        v.push(p("MediaSid", &media.sid));
    }
    if stored {
        v.push(p("MessageSid", &m.sid));
        v.push(p("DateUpdated", ms(&m.date_updated)));
    }
    v
}

/// Parameters of channel events.
pub(super) fn channel_params(c: &Channel, stored: bool) -> Params {
    let mut v = vec![
        p("ChannelType", &c.channel_type),
        p("FriendlyName", c.friendly_name.as_deref().unwrap_or("")),
        p("UniqueName", c.unique_name.as_deref().unwrap_or("")),
        p("Attributes", &c.attributes),
        p("CreatedBy", &c.created_by),
        p("DateCreated", ms(&c.date_created)),
        p("DateUpdated", ms(&c.date_updated)),
    ];
    if stored {
        v.insert(0, p("ChannelSid", &c.sid));
        v.push(p("MembersCount", c.members_count.to_string()));
        v.push(p("MessagesCount", c.messages_count.to_string()));
    }
    v
}

/// Parameters of member events; `reason` is `ADDED`, `REMOVED` or empty for updates.
pub(super) fn member_params(m: &Member, reason: &str, stored: bool) -> Params {
    let mut v = vec![
        p("ChannelSid", &m.channel_sid),
        p("Identity", &m.identity),
        p("RoleSid", m.role_sid.as_deref().unwrap_or("")),
        p("Attributes", &m.attributes),
        p("DateCreated", ms(&m.date_created)),
        p("DateUpdated", ms(&m.date_updated)),
    ];
    if !reason.is_empty() {
        v.push(p("Reason", reason));
    }
    if let Some(i) = m.last_consumed_message_index {
        v.push(p("LastConsumedMessageIndex", i.to_string()));
    }
    if stored {
        v.push(p("MemberSid", &m.sid));
    }
    v
}

/// Parameters of user events.
pub(super) fn user_params(u: &User) -> Params {
    vec![
        p("UserSid", &u.sid),
        p("Identity", &u.identity),
        p("FriendlyName", u.friendly_name.as_deref().unwrap_or("")),
        p("Attributes", u.attributes.as_deref().unwrap_or("{}")),
        p("RoleSid", u.role_sid.as_deref().unwrap_or("")),
        p("IsOnline", "false"),
        p("IsNotifiable", "false"),
        p("DateCreated", ms(&u.date_created)),
        p("DateUpdated", ms(&u.date_updated)),
    ]
}

/// Reads a string field a pre-event hook may set, in snake_case or PascalCase.
pub(super) fn modified(answer: Option<&Value>, snake: &str, pascal: &str) -> Option<String> {
    let v = answer?.get(snake).or_else(|| answer?.get(pascal))?;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_reads_either_spelling() {
        let v: Value = serde_json::json!({"Body": "new", "attributes": {"a": 1}});
        assert_eq!(modified(Some(&v), "body", "Body").as_deref(), Some("new"));
        assert_eq!(
            modified(Some(&v), "attributes", "Attributes").as_deref(),
            Some(r#"{"a":1}"#)
        );
        assert_eq!(modified(None, "body", "Body"), None);
    }
}
