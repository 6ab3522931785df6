//! SQL shared by both backends, one file per table, written once with `$N` placeholders (see
//! [`crate::store::sql`]). Only what the dialects really do differently stays in a backend.

pub mod accounts;
pub mod bindings;
pub mod channels;
pub mod credentials;
pub mod roles;
pub mod services;
pub mod users;
