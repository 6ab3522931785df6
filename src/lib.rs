//! Banter: a self-hosted chat server that speaks the Twilio Programmable Chat REST API v2.
//!
//! # Layout
//! - [`http`]: axum router, extractors (auth, Twilio forms, paging), errors in Twilio's shape;
//!   one file per resource with thin handlers.
//! - [`chat`]: the domain, one method per operation; no HTTP, no SQL.
//! - [`store`]: persistence behind one trait; [`store::sqlite`] is the embedded backend.
//! - [`app`]: configuration, start-up and serving (plain HTTP or TLS).
//! - [`webhooks`]: signing, pre-event calls and the post-event outbox worker.
//! - [`sid`], [`time`]: Twilio's SID and date formats.

pub mod app;
pub mod chat;
pub mod http;
pub mod sid;
pub mod store;
pub mod time;
pub mod webhooks;
