//! The event bus: after-commit chat events, fanned out to every subscriber in this process.
//!
//! On PostgreSQL the events travel through `NOTIFY`, so every node's bus sees every node's
//! events (the foundation for real-time fan-out across nodes); on SQLite (one process) they are
//! broadcast directly. The bus is a `tokio::sync::broadcast` channel: a subscriber that falls
//! more than [`CAPACITY`] events behind loses the oldest ones and is told so by `Lagged`.

use serde::{Deserialize, Serialize};

/// Events buffered per subscriber.
pub const CAPACITY: usize = 1024;

/// Something that happened, named with Twilio's post-event names (`onMessageSent`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatEvent {
    /// Twilio event name.
    pub event_type: String,
    /// The account.
    pub account_sid: String,
    /// The service.
    pub service_sid: String,
    /// The channel, for channel-scoped events.
    pub channel_sid: Option<String>,
    /// The resource the event is about (message, member, channel, user).
    pub sid: String,
}
