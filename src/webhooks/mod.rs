//! Webhook delivery: the SSRF guard, `X-Twilio-Signature` signing, the pre-event caller and
//! the post-event outbox worker. The domain decides *which* hooks fire (`crate::chat::events`);
//! this module only talks HTTP.

pub mod client;
pub mod guard;
pub mod pre;
pub mod signature;
pub mod worker;

pub use client::HookClient;
pub use pre::HttpPreHook;
pub use worker::{Metrics, Policy};
