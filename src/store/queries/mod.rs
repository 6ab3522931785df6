//! SQL shared by both backends, one file per table, written once with `$N` placeholders (see
//! [`crate::store::sql`]). Only what the dialects really do differently stays in a backend.

pub mod access;
pub mod accounts;
pub mod addresses;
pub mod bindings;
pub mod changes;
pub mod channels;
pub mod copy;
pub mod credentials;
pub mod invites;
pub mod media;
pub mod members;
pub mod messages;
pub mod outbox;
pub mod presence;
pub mod roles;
pub mod services;
pub mod timers;
pub mod users;
pub mod webhooks;
