//! Typing indicators: a member says they are typing in a channel, and every node tells the
//! channel's other connected members. Nothing is stored: an indicator is worth something for
//! a few seconds only, so it travels on a broadcast of its own (PostgreSQL `NOTIFY` between
//! nodes) and a client that is not connected at that moment never sees it.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::{Actor, ChannelRef, Chat, ChatError};

/// Indicators buffered per listener; a socket that falls behind loses the oldest ones, which
/// costs only a missed "is typing".
pub const TYPING_CAPACITY: usize = 1024;

/// Prefix of a typing notice between nodes.
pub(super) const NOTICE_PREFIX: &str = "typing:";

/// One "is typing" from a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typing {
    /// The service.
    pub service_sid: String,
    /// The channel.
    pub channel_sid: String,
    /// Who is typing.
    pub identity: String,
    /// Seconds after which the indicator ends unless repeated (the service's
    /// `TypingIndicatorTimeout`).
    pub timeout_secs: i64,
}

impl Chat {
    /// The caller (an end user who is a member of the channel) is typing there: every node
    /// tells the channel's other connected members. Returns the indicator's timeout.
    ///
    /// # Errors
    /// 403 / 20403 for the operator; [`ChatError::NotFound`] when the caller is not a member.
    pub async fn typing(&self, at: ChannelRef<'_>) -> Result<i64, ChatError> {
        let Actor::User(token) = &at.service.caller.actor else {
            return Err(ChatError::new(20403, "Forbidden: only end users type"));
        };
        let identity = token.identity.clone();
        let member = self.member(at, &identity).await?;
        let service = self.scope(at.service).await?.service;
        let typing = Typing {
            service_sid: member.service_sid,
            channel_sid: member.channel_sid,
            identity,
            timeout_secs: service.settings.typing_indicator_timeout,
        };
        let timeout = typing.timeout_secs;
        if self.store.shared() {
            let notice = serde_json::to_string(&typing).map(|json| format!("{NOTICE_PREFIX}{json}"));
            if let Ok(notice) = notice
                && let Err(e) = self.store.notify(&notice).await
            {
                tracing::warn!(error = %e, "cannot send a typing indicator to the other nodes");
            }
        } else {
            let _ = self.typing.send(typing);
        }
        Ok(timeout)
    }

    /// Listens to the typing indicators of every node.
    #[must_use]
    pub fn typing_events(&self) -> broadcast::Receiver<Typing> {
        self.typing.subscribe()
    }
}
