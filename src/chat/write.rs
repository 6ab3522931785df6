//! The one path every write takes, whoever makes it:
//!
//! 1. [`Chat::change`]: the actor's permissions are checked (the caller states what it needs);
//! 2. [`Change::pre`]: the pre-event webhook runs, for end users' actions only, and may veto
//!    the change or modify it;
//! 3. [`Approved::commit`]: the post-event deliveries are built (for end users' actions, and for
//!    the operator's when asked for with `X-Twilio-Webhook-Enabled: true`), the store writes
//!    the change with them in one transaction, and once it has committed the event reaches
//!    the bus.
//!
//! Each step can only be reached through the one before it, and the webhook and bus calls are
//! private to this module, so none can be skipped, repeated or reordered by an operation.

use serde_json::Value;

use super::access::{Access, Scope};
use super::deliveries::{common, conversations_common, post_events};
use super::events::{Event, HookFailure, HookRequest};
use super::payload::{Payload, chat_selected, conversations_hooks, receivers};
use super::{Chat, ChatError};
use crate::events::ChatEvent;
use crate::store::{Channel, OutboxRow, Service};

/// A change whose actor was allowed to make it; next, [`Change::pre`].
#[must_use = "a change does nothing until it is committed"]
pub(super) struct Change<'a> {
    chat: &'a Chat,
    scope: &'a Scope,
    channel: Where<'a>,
    event: Event,
}

/// A change the pre-event hook approved; next, [`Approved::commit`].
#[must_use = "a change does nothing until it is committed"]
pub(super) struct Approved<'a>(Change<'a>);

/// Where a change happens: service-wide, or in a channel. The whole channel is needed only
/// when webhooks may fire (its webhooks and their filters); the hot path of the operator
/// without webhooks knows just its SID.
#[derive(Clone, Copy)]
pub(super) enum Where<'a> {
    /// Outside channels (users).
    Service,
    /// In a channel.
    Channel(&'a Channel),
    /// In a channel known only by SID: valid only when no webhook can fire.
    ChannelSid(&'a str),
}

impl Where<'_> {
    fn channel_sid(&self) -> Option<&str> {
        match self {
            Self::Service => None,
            Self::Channel(c) => Some(&c.sid),
            Self::ChannelSid(sid) => Some(sid),
        }
    }
}

impl Scope {
    /// Whether post-event webhooks fire for this actor's changes.
    #[must_use]
    pub(super) fn webhooks(&self) -> bool {
        match self.access {
            Access::Operator { webhooks } => webhooks,
            Access::User { .. } => true,
        }
    }
}

/// The state of a closed conversation.
const CLOSED: &str = "closed";

impl Chat {
    /// Starts a change. The caller has checked the permissions it needs on `scope.access`
    /// (they depend on the fields the change touches); `allowed` is that outcome.
    pub(super) fn change<'a>(
        &'a self,
        scope: &'a Scope,
        channel: Where<'a>,
        event: Event,
        allowed: Result<(), ChatError>,
    ) -> Result<Change<'a>, ChatError> {
        allowed?;
        // A closed conversation is final (Conversations API): no new messages, participants
        // or invites, no edits; it may still be read, left and deleted. (The operator's send
        // path without webhooks knows only the channel's SID: the append itself refuses it.)
        if let Where::Channel(c) = channel
            && c.state == CLOSED
            && matches!(
                event,
                Event::MessageSend
                    | Event::MediaMessageSend
                    | Event::MessageUpdate
                    | Event::ChannelUpdate
                    | Event::MemberAdd
                    | Event::InviteAdd
            )
        {
            return Err(ChatError::titled(50377));
        }
        if matches!(channel, Where::ChannelSid(_)) && scope.webhooks() {
            return Err(ChatError::Store(crate::store::StoreError::other(
                "a change that fires webhooks needs its whole channel",
            )));
        }
        Ok(Change {
            chat: self,
            scope,
            channel,
            event,
        })
    }

    async fn emit(&self, event: Event, service: &Service, channel_sid: Option<&str>, sid: &str) {
        let shared = self.store.shared();
        if !shared && self.bus.receiver_count() == 0 {
            return;
        }
        let event = ChatEvent {
            event_type: event.name().to_owned(),
            account_sid: service.account_sid.clone(),
            service_sid: service.sid.clone(),
            channel_sid: channel_sid.map(str::to_owned),
            sid: sid.to_owned(),
        };
        self.publish(event).await;
    }

    /// Sends `event` to the bus of every node (this one's directly, others' by a notice).
    pub(super) async fn publish(&self, event: ChatEvent) {
        let shared = self.store.shared();
        if shared {
            let payload = match serde_json::to_string(&event) {
                Ok(json) => format!("event:{json}"),
                Err(_) => return,
            };
            if let Err(e) = self.store.notify(&payload).await {
                tracing::warn!(error = %e, event = %event.event_type, "cannot publish an event to the other nodes");
            }
        } else {
            let _ = self.bus.send(event);
        }
    }
}

impl<'a> Change<'a> {
    /// The Conversations API's name of this change's pre-event (`pre`) or post-event: only
    /// for changes in a conversation (a private channel) or outside channels (users).
    fn conversations_event(&self, pre: bool) -> Option<&'static str> {
        let (before, after) = conversations_hooks(self.event);
        let name = if pre { before } else { after };
        match self.channel {
            Where::Service => name,
            Where::Channel(c) if c.channel_type == "private" => name,
            _ => None,
        }
    }

    /// Runs the pre-event webhook when an end user acts and the service has one for this
    /// event; `params` builds its parameters only then. Returns the hook's JSON answer, if
    /// any, from which the caller applies the modifications Twilio allows.
    ///
    /// # Errors
    /// 403 / 20403 when the hook answered non-2xx; 502 / 50076, with one fixed message, when
    /// it gave no usable answer.
    pub(super) async fn pre(
        self,
        payload: impl FnOnce() -> Payload,
    ) -> Result<(Approved<'a>, Option<Value>), ChatError> {
        let service = &self.scope.service;
        let Access::User { identity, .. } = &self.scope.access else {
            return Ok((Approved(self), None));
        };
        // A receiver configured through the Conversations API gets Conversations' event;
        // otherwise Chat's service URL, as Chat's filters select.
        let conversations = self
            .conversations_event(true)
            .and_then(|event| Some((event, receivers(service, event, true).into_iter().next()?)));
        let (event, url, method, retry_count, params) = if let Some((event, r)) = conversations {
            let mut all = conversations_common(service, event, Some(identity));
            all.extend(payload().conversations);
            (event, r.url, r.method, r.retry_count, all)
        } else {
            let s = &service.settings;
            let (Some(event), Some(url)) = (self.event.pre(), s.pre_webhook_url.as_deref()) else {
                return Ok((Approved(self), None));
            };
            if !chat_selected(service, event) {
                return Ok((Approved(self), None));
            }
            let mut all = common(service, event, Some(identity));
            all.extend(payload().chat);
            let method = s.webhook_method.as_deref().unwrap_or("POST");
            (event, url, method, s.pre_webhook_retry_count, all)
        };
        let request = HookRequest {
            url: url.to_owned(),
            method: method.to_owned(),
            params,
            auth_token: self.chat.auth_token(&service.account_sid).await?,
            retry_count,
        };
        match self.chat.pre_hook.call(request).await {
            Ok(answer) => Ok((Approved(self), answer)),
            Err(HookFailure::Rejected(status)) => Err(ChatError::new(
                20403,
                format!("The pre-event webhook rejected {event} (HTTP {status})"),
            )),
            Err(HookFailure::NoAnswer) => Err(ChatError::new(
                50076,
                format!("The pre-event webhook gave no usable answer for {event}"),
            )),
        }
    }
}

impl Approved<'_> {
    /// Builds the post-event deliveries (`params` and, for trigger webhooks, the message
    /// `body`), runs `write` with them, and publishes the event about `sid` once it committed.
    ///
    /// # Errors
    /// What `write` returns; store failures while reading channel webhooks.
    pub(super) async fn commit<T>(
        self,
        sid: &str,
        payload: impl FnOnce() -> Payload,
        body: Option<&str>,
        write: impl AsyncFnOnce(&[OutboxRow]) -> Result<T, ChatError>,
    ) -> Result<T, ChatError> {
        let conversations = self.0.conversations_event(false);
        let Change {
            chat,
            scope,
            channel,
            event,
        } = self.0;
        let outbox = if scope.webhooks() && !matches!(channel, Where::ChannelSid(_)) {
            let channel = match channel {
                Where::Channel(c) => Some(c),
                _ => None,
            };
            post_events(chat, scope, channel, event, conversations, &payload(), body).await?
        } else {
            Vec::new()
        };
        let done = write(&outbox).await?;
        chat.emit(event, &scope.service, channel.channel_sid(), sid).await;
        Ok(done)
    }
}
