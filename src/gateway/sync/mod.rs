//! The Sync subset the client SDKs read their live state from (Twilio's "cds" host): chat's
//! documents, lists and maps, as read-only views over the chat data.
//!
//! The SDKs never write to Sync; they read descriptors and items and subscribe to events. Each
//! object is named after the chat resource it shows ([`SyncObject`]), so no object is stored:
//! a descriptor or item is rendered from the channel, messages, members or user it views.

pub mod events;
pub mod names;
pub mod paging;
pub mod render;
pub mod subscriptions;
pub mod views;

use super::tunnel::Routes;

pub use names::{ObjectKind, SyncObject};

/// The Sync routes: reads and subscriptions.
#[must_use]
pub fn routes(routes: Routes) -> Routes {
    subscriptions::routes(views::routes(routes))
}
