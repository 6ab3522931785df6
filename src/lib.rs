//! Banter: a self-hosted chat server that speaks the Twilio Programmable Chat REST API v2.
//!
//! # Layout
//! - [`http`]: axum router, extractors (auth, Twilio forms, paging), errors in Twilio's shape;
//!   one file per resource with thin handlers.
//! - [`chat`]: the domain, one method per operation; no HTTP, no SQL.
//! - [`store`]: persistence behind one trait; [`store::sqlite`] is the embedded backend,
//!   [`store::postgres`] the shared one for several nodes.
//! - [`events`]: after-commit events on a bus that spans every node.
//! - [`gateway`]: the client SDK socket (twilsock v3 at `/v3/wsconnect`); parses and routes.
//! - [`app`]: configuration and start-up.
//! - [`conn`]: serving connections (plain HTTP or TLS) with timeouts and a connection cap.
//! - [`webhooks`]: signing, pre-event calls and the post-event outbox worker.
//! - [`secrets`]: the server key that seals secrets at rest.
//! - [`sid`], [`time`]: Twilio's SID and date formats.

pub mod app;
pub mod chat;
pub mod cli;
pub mod conn;
pub mod copy;
pub mod dburl;
pub mod events;
pub mod gateway;
pub mod http;
pub mod media;
pub mod secrets;
pub mod sid;
pub mod store;
pub mod time;
pub mod webhooks;
