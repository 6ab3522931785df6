//! What a webhook about one change carries, in each API's names: Chat's (`onMessageSent`,
//! `ChannelSid`, `From`, …) and the Conversations API's (`onMessageAdded`, `ConversationSid`,
//! `Author`, …).
//!
//! Both APIs serve the same data, so one change can reach receivers configured through either:
//! Chat's service filters and channel webhooks name Chat's events, the Conversations service
//! and account configurations and conversation webhooks name Conversations' events. An
//! operation describes its change once, as a [`Payload`]; `super::write` picks the half each
//! receiver asked for.

use serde_json::json;

use super::events::{Event, Params, channel_params, member_params, message_params, ms, p, user_params};
use super::messaging_binding::MessagingBinding;
use crate::store::{Channel, Member, Message, Service, User};
use crate::time;

/// The parameters of one change's webhooks, in both APIs' names.
#[derive(Debug, Clone, Default)]
pub(super) struct Payload {
    /// Chat's parameters.
    pub chat: Params,
    /// The Conversations API's parameters (empty: the change has no Conversations event).
    pub conversations: Params,
    /// A conversation's state change (from, to), which also fires `onConversationStateUpdated`.
    pub state_change: Option<(String, String)>,
}

impl From<Params> for Payload {
    fn from(chat: Params) -> Self {
        Self {
            chat,
            ..Self::default()
        }
    }
}

impl Payload {
    /// A message (`stored`: it has a SID and an update date).
    pub fn message(m: &Message, stored: bool) -> Self {
        let mut v = vec![
            p("ConversationSid", &m.channel_sid),
            p("Body", &m.body),
            p("Author", &m.from),
            p("Attributes", m.attributes.as_deref().unwrap_or("{}")),
            p("DateCreated", ms(&m.date_created)),
        ];
        if let Some(media) = &m.media {
            let list = json!([{
                "Sid": media.sid,
                "Filename": media.filename,
                "ContentType": media.content_type,
                "Size": media.size,
                "Category": "media",
            }]);
            v.push(p("Media", list.to_string()));
        }
        if stored {
            v.push(p("MessageSid", &m.sid));
            v.push(p("DateUpdated", ms(&m.date_updated)));
        }
        Self {
            chat: message_params(m, stored),
            conversations: v,
            state_change: None,
        }
    }

    /// A channel; only a private channel (a conversation) has Conversations parameters.
    pub fn channel(c: &Channel, stored: bool) -> Self {
        let mut v = Vec::new();
        if c.channel_type == "private" {
            if stored {
                v.push(p("ConversationSid", &c.sid));
            }
            v.extend([
                p("FriendlyName", c.friendly_name.as_deref().unwrap_or("")),
                p("UniqueName", c.unique_name.as_deref().unwrap_or("")),
                p("Attributes", &c.attributes),
                p("State", &c.state),
                p("DateCreated", ms(&c.date_created)),
                p("DateUpdated", ms(&c.date_updated)),
            ]);
            if let Some(mg) = &c.messaging_service_sid {
                v.push(p("MessagingServiceSid", mg));
            }
        }
        Self {
            chat: channel_params(c, stored),
            conversations: v,
            state_change: None,
        }
    }

    /// A channel whose state went from `from` to its current one.
    pub fn channel_state(c: &Channel, from: &str) -> Self {
        let mut payload = Self::channel(c, true);
        if from != c.state && c.channel_type == "private" {
            payload.state_change = Some((from.to_owned(), c.state.clone()));
        }
        payload
    }

    /// A member; `reason` is Chat's (`ADDED`, `REMOVED`, `LEFT` or empty for updates).
    pub fn member(m: &Member, reason: &str, stored: bool) -> Self {
        let mut v = vec![p("ConversationSid", &m.channel_sid)];
        match MessagingBinding::parse(m.messaging_binding.as_deref()) {
            Some(b) if b.is_addressed() => {
                v.push(p("MessagingBinding.Address", b.address.unwrap_or_default()));
                v.push(p("MessagingBinding.ProxyAddress", b.proxy_address.unwrap_or_default()));
            }
            Some(b) => {
                v.push(p("Identity", &m.identity));
                v.push(p(
                    "MessagingBinding.ProjectedAddress",
                    b.projected_address.unwrap_or_default(),
                ));
            }
            None => v.push(p("Identity", &m.identity)),
        }
        v.extend([
            p("RoleSid", m.role_sid.as_deref().unwrap_or("")),
            p("Attributes", &m.attributes),
            p("DateCreated", ms(&m.date_created)),
            p("DateUpdated", ms(&m.date_updated)),
        ]);
        if let Some(i) = m.last_consumed_message_index {
            v.push(p("LastReadMessageIndex", i.to_string()));
        }
        if let Some(t) = &m.last_consumption_timestamp {
            v.push(p("LastReadTimestamp", ms(t)));
        }
        if stored {
            v.push(p("ParticipantSid", &m.sid));
        }
        Self {
            chat: member_params(m, reason, stored),
            conversations: v,
            state_change: None,
        }
    }

    /// A user (the same names in both APIs).
    pub fn user(u: &User) -> Self {
        let chat = user_params(u);
        Self {
            conversations: chat.clone(),
            chat,
            state_change: None,
        }
    }

    /// Adds a parameter to both APIs' sets (where the change has one).
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        if !self.conversations.is_empty() {
            self.conversations.push(p(name, value.clone()));
        }
        self.chat.push(p(name, value));
    }

    /// Adds a parameter only Chat's webhooks carry.
    pub fn push_chat(&mut self, name: &str, value: impl Into<String>) {
        self.chat.push(p(name, value));
    }

    /// The date a removal happened (`DateRemoved`): Conversations' removals carry it, and
    /// Chat's message removals (`chat`).
    pub fn removed_now(&mut self, chat: bool) {
        let now = time::format(&time::now());
        if !self.conversations.is_empty() {
            self.conversations.push(p("DateRemoved", now.clone()));
        }
        if chat {
            self.chat.push(p("DateRemoved", now));
        }
    }
}

/// The Conversations API's (pre-event, post-event) names of a change; `None` where it has no
/// such hook.
#[must_use]
pub(super) const fn conversations_hooks(event: Event) -> (Option<&'static str>, Option<&'static str>) {
    match event {
        Event::MessageSend | Event::MediaMessageSend => (Some("onMessageAdd"), Some("onMessageAdded")),
        Event::MessageUpdate => (Some("onMessageUpdate"), Some("onMessageUpdated")),
        Event::MessageRemove => (Some("onMessageRemove"), Some("onMessageRemoved")),
        Event::ChannelAdd => (Some("onConversationAdd"), Some("onConversationAdded")),
        Event::ChannelUpdate => (Some("onConversationUpdate"), Some("onConversationUpdated")),
        Event::ChannelDestroy => (Some("onConversationRemove"), Some("onConversationRemoved")),
        Event::MemberAdd => (Some("onParticipantAdd"), Some("onParticipantAdded")),
        Event::MemberUpdate => (Some("onParticipantUpdate"), Some("onParticipantUpdated")),
        Event::MemberRemove => (Some("onParticipantRemove"), Some("onParticipantRemoved")),
        Event::UserAdd => (None, Some("onUserAdded")),
        Event::UserUpdate => (Some("onUserUpdate"), Some("onUserUpdated")),
        Event::UserRemove | Event::InviteAdd | Event::InviteRemove => (None, None),
    }
}

/// Where Conversations-named webhooks of a service go: the service's own configuration
/// (`/v1/Services/{IS}/Configuration/Webhooks`: its URLs with Conversations' filters) and, for
/// the account's default Conversations service, the account's (`/v1/Configuration/Webhooks`).
pub(super) struct Receiver<'a> {
    /// The URL.
    pub url: &'a str,
    /// `GET` or `POST`.
    pub method: &'a str,
    /// Extra attempts.
    pub retry_count: i64,
}

/// The receivers of Conversations' `event` in `service`, pre-event (`pre`) or post-event.
pub(super) fn receivers<'a>(service: &'a Service, event: &str, pre: bool) -> Vec<Receiver<'a>> {
    let s = &service.settings;
    let mut out = Vec::new();
    let listed = |filters: &[String]| filters.iter().any(|f| f == event);
    let own = if pre { &s.pre_webhook_url } else { &s.post_webhook_url };
    if let Some(url) = own.as_deref().filter(|_| listed(&s.conversations.webhook_filters)) {
        out.push(Receiver {
            url,
            method: s.webhook_method.as_deref().unwrap_or("POST"),
            retry_count: if pre {
                s.pre_webhook_retry_count
            } else {
                s.post_webhook_retry_count
            },
        });
    }
    if let Some(a) = &s.conversations.account_webhooks {
        let url = if pre { &a.pre_webhook_url } else { &a.post_webhook_url };
        if let Some(url) = url.as_deref().filter(|_| listed(&a.filters))
            && out.iter().all(|r| r.url != url)
        {
            out.push(Receiver {
                url,
                method: a.method.as_deref().unwrap_or("POST"),
                retry_count: 0,
            });
        }
    }
    out
}

/// Whether Chat's service-level `event` goes to the service's URLs: as Chat's filters say
/// (unset selects every event), except that a service configured only through the
/// Conversations API (its Conversations filters set, Chat's not) gets Conversations' events
/// instead of all of Chat's.
pub(super) fn chat_selected(service: &Service, event: &str) -> bool {
    let s = &service.settings;
    match &s.webhook_filters {
        Some(filters) if !filters.is_empty() => filters.iter().any(|f| f == event),
        _ => s.conversations.webhook_filters.is_empty(),
    }
}
