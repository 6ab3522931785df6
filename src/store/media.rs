//! Store trait of the Media Content Service's records (the bytes are in `crate::media`).

use async_trait::async_trait;

use super::{Media, StoreError};
use crate::time::Timestamp;

/// Outcome of [`MediaStore::attach_media`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachMedia {
    /// The media now belongs to the message.
    Attached,
    /// No such media in the service.
    NotFound,
    /// The media already belongs to another message.
    Taken,
}

/// Media records.
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Inserts a media record (once its bytes are durable).
    async fn insert_media(&self, media: &Media) -> Result<(), StoreError>;
    /// A media record of service `service_sid` by SID.
    async fn media(&self, service_sid: &str, sid: &str) -> Result<Option<Media>, StoreError>;
    /// Claims media `sid` of `service_sid` for a message of `channel_sid`, when it belongs to
    /// no message yet (atomically: of two messages claiming it, one wins).
    async fn attach_media(
        &self,
        service_sid: &str,
        sid: &str,
        channel_sid: &str,
        message_sid: &str,
        now: Timestamp,
    ) -> Result<AttachMedia, StoreError>;
    /// Gives up a claim of [`MediaStore::attach_media`] whose message could not be stored.
    async fn detach_media(&self, sid: &str, message_sid: &str) -> Result<bool, StoreError>;
    /// Deletes a media record; false when there was none.
    async fn delete_media(&self, service_sid: &str, sid: &str) -> Result<bool, StoreError>;
    /// Which of `sids` have a record (in any order), in one read.
    async fn existing_media(&self, sids: &[String]) -> Result<Vec<String>, StoreError>;
}
