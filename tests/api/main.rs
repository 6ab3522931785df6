//! Integration tests: the real server on an ephemeral port against a temporary database.
//!
//! One binary for all of them (link time); each test spawns its own server and database.

#![allow(clippy::unwrap_used, clippy::type_complexity)]

mod harness;

mod auth;
mod cache;
mod changes;
mod conn;
mod conversations;
mod conversations_input;
mod copy;
mod copy_media;
mod crash;
mod credentials;
mod errors;
mod gateway;
mod gateway_aim;
mod gateway_aim_edges;
mod gateway_aim_people;
mod gateway_flows;
mod gateway_presence;
mod gateway_sync;
mod gateway_sync_removals;
mod gateway_tls;
mod input;
mod media;
mod media_messages;
mod messaging;
mod nodes;
mod pagination;
mod permissions;
mod roles;
mod schema;
mod secrets;
mod services;
mod spec_coverage;
mod store;
mod timers;
mod tls;
mod tokens;
mod users;
mod webhooks;
mod webhooks_delivery;
mod webhooks_guard;
