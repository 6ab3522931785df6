//! SQL shared by both backends, one file per table, written once with `$N` placeholders (see
//! [`crate::store::sql`]). Only what the dialects really do differently stays in a backend.

pub mod channels;
