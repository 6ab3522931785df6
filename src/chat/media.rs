//! Media records of the Media Content Service: who may upload and read them, and attaching
//! them to messages. The bytes are in [`crate::media`].

use std::sync::Arc;

use super::{Actor, Caller, Chat, ChatError};
use crate::media::{self, Blobs};
use crate::sid;
use crate::store::{AttachMedia, Media, Message, MessageMedia, Service};
use crate::time;

/// Longest accepted file name (characters).
pub const MAX_FILENAME: usize = 1024;

/// An upload's description, before its bytes are stored.
#[derive(Debug, Clone)]
pub struct NewMedia {
    /// MIME type (`application/octet-stream` when not given).
    pub content_type: String,
    /// File name, when given.
    pub filename: Option<String>,
    /// `media` unless given (`body`, `history`).
    pub category: Option<String>,
}

/// Where an accepted upload goes: its SID, service and author, decided before any byte is read.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The media's new SID.
    pub sid: String,
    /// The service.
    pub service: Arc<Service>,
    /// The uploader's identity (`system` for the operator).
    pub author: String,
}

impl Chat {
    /// The media storage, when this domain has one.
    #[must_use]
    pub fn blobs(&self) -> Option<&Arc<dyn Blobs>> {
        self.blobs.as_ref()
    }

    /// The largest media file in MB (`media.size_limit_mb`, the client configuration's
    /// attachment size limit).
    #[must_use]
    pub fn media_size_limit_mb(&self) -> u64 {
        self.media_limit_mb
    }

    /// Uses `mb` as the largest media file, in MB (as `--media-size-limit-mb` enforces it).
    #[must_use]
    pub fn with_media_size_limit_mb(mut self, mb: u64) -> Self {
        self.media_limit_mb = mb;
        self
    }

    /// Uses `blobs` for media files (deleting a media message deletes its file).
    #[must_use]
    pub fn with_blobs(mut self, blobs: Arc<dyn Blobs>) -> Self {
        self.blobs = Some(blobs);
        self
    }

    /// The server key (signs media download URLs).
    #[must_use]
    pub fn secrets(&self) -> &crate::secrets::Secrets {
        &self.secrets
    }

    /// The service `service_sid` as `caller` may use it for media: the operator's own, or the
    /// one of an end user's token grant.
    async fn media_service(&self, caller: &Caller, service_sid: &str) -> Result<Arc<Service>, ChatError> {
        let service = self.service(&caller.account_sid, service_sid).await?;
        if let Actor::User(token) = &caller.actor
            && token.service_sid != service.sid
        {
            return Err(ChatError::new(
                20403,
                "Forbidden: the Access Token's chat grant is for another service",
            ));
        }
        Ok(service)
    }

    /// Accepts an upload to `service_sid` by `caller` (before its bytes are read).
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service; 20403 for a token of another service.
    pub async fn begin_upload(&self, caller: &Caller, service_sid: &str) -> Result<Upload, ChatError> {
        let service = self.media_service(caller, service_sid).await?;
        Ok(Upload {
            sid: sid::generate(sid::MEDIA),
            service,
            author: caller.identity().unwrap_or("system").to_owned(),
        })
    }

    /// Records an upload whose `size` bytes are stored and durable.
    ///
    /// # Errors
    /// 20001 for a bad file name or category; store errors.
    pub async fn finish_upload(&self, upload: &Upload, input: NewMedia, size: u64) -> Result<Media, ChatError> {
        let now = time::now();
        let media = Media {
            sid: upload.sid.clone(),
            account_sid: upload.service.account_sid.clone(),
            service_sid: upload.service.sid.clone(),
            channel_sid: None,
            message_sid: None,
            author: upload.author.clone(),
            filename: input.filename,
            content_type: input.content_type,
            size: i64::try_from(size).map_err(|_| ChatError::invalid("Content", "is too large"))?,
            category: input.category.unwrap_or_else(|| "media".to_owned()),
            date_created: now,
            date_updated: now,
            date_upload_updated: now,
        };
        self.store.insert_media(&media).await?;
        Ok(media)
    }

    /// Checks an upload's description before its bytes are read.
    ///
    /// # Errors
    /// 20001 naming the bad value.
    pub fn check_new_media(input: &NewMedia) -> Result<(), ChatError> {
        if input.content_type.is_empty() || input.content_type.len() > 255 || input.content_type.contains(['\r', '\n'])
        {
            return Err(ChatError::invalid("Content-Type", "must be a MIME type"));
        }
        if let Some(f) = &input.filename
            && (f.chars().count() > MAX_FILENAME || f.contains('\0'))
        {
            return Err(ChatError::invalid("Filename", "is too long or contains NUL"));
        }
        if let Some(c) = &input.category
            && !["media", "body", "history"].contains(&c.as_str())
        {
            return Err(ChatError::invalid("Category", "must be media, body or history"));
        }
        Ok(())
    }

    /// A media record `caller` may read: the operator any of their services'; an end user
    /// unattached media they uploaded, and media of messages in channels they are a member of.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 20403 for media the end user may not read.
    pub async fn readable_media(&self, caller: &Caller, service_sid: &str, sid: &str) -> Result<Media, ChatError> {
        let service = self.media_service(caller, service_sid).await?;
        if !sid::is_sid(sid::MEDIA, sid) {
            return Err(ChatError::NotFound);
        }
        let media = self.store.media(&service.sid, sid).await?.ok_or(ChatError::NotFound)?;
        let Some(identity) = caller.identity() else {
            return Ok(media);
        };
        let allowed = match &media.channel_sid {
            None => media.author == identity,
            Some(channel) => self
                .store
                .channel_access(&service.sid, channel, identity)
                .await?
                .and_then(|found| found.grants)
                .is_some_and(|g| g.member_sid.is_some()),
        };
        if allowed {
            Ok(media)
        } else {
            Err(ChatError::new(
                20403,
                "Forbidden: media is readable by its uploader and the members of its channel",
            ))
        }
    }

    /// A media record by SID within a service, for signed downloads (the signature is the
    /// authorisation).
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn media_by_sid(&self, service_sid: &str, sid: &str) -> Result<Media, ChatError> {
        if !sid::is_sid(sid::SERVICE, service_sid) || !sid::is_sid(sid::MEDIA, sid) {
            return Err(ChatError::NotFound);
        }
        self.store.media(service_sid, sid).await?.ok_or(ChatError::NotFound)
    }

    /// The description a new message in `service_sid` carries of media `sid`.
    ///
    /// # Errors
    /// 50507 for media unknown in the service; 50508 for media of another message.
    pub(super) async fn media_for_message(&self, service_sid: &str, sid: &str) -> Result<MessageMedia, ChatError> {
        if !sid::is_sid(sid::MEDIA, sid) {
            return Err(ChatError::invalid("MediaSid", "must be a Media SID (ME…)"));
        }
        match self.store.media(service_sid, sid).await? {
            None => Err(media_not_found(sid)),
            Some(m) if m.message_sid.is_some() => Err(media_taken(sid)),
            Some(m) => Ok(m.for_message()),
        }
    }

    /// Stores `message` with its media claimed for it (the claim is given up when the message
    /// cannot be stored).
    pub(super) async fn append_with_media(
        &self,
        message: &Message,
        outbox: &[crate::store::OutboxRow],
    ) -> Result<Message, ChatError> {
        let Some(m) = &message.media else {
            return match self.store.append_message(message, outbox).await? {
                Some(m) => Ok(m),
                None => Err(self.not_appended(message).await),
            };
        };
        let claim = self
            .store
            .attach_media(
                &message.service_sid,
                &m.sid,
                &message.channel_sid,
                &message.sid,
                time::now(),
            )
            .await?;
        match claim {
            AttachMedia::Attached => {}
            AttachMedia::NotFound => return Err(media_not_found(&m.sid)),
            AttachMedia::Taken => return Err(media_taken(&m.sid)),
        }
        let stored = self.store.append_message(message, outbox).await;
        if !matches!(stored, Ok(Some(_))) {
            let _ = self.store.detach_media(&m.sid, &message.sid).await;
        }
        match stored? {
            Some(m) => Ok(m),
            None => Err(self.not_appended(message).await),
        }
    }

    /// Why the store appended no message: its channel is a closed conversation (50377), or it
    /// no longer exists. Read only on that failure, so sends need no read of the channel.
    async fn not_appended(&self, message: &Message) -> ChatError {
        match self.store.channel(&message.service_sid, &message.channel_sid).await {
            Ok(Some(c)) if c.state == "closed" => ChatError::titled(50377),
            Ok(_) => ChatError::NotFound,
            Err(e) => e.into(),
        }
    }

    /// Deletes a media record and its file (after its message was deleted). A file that
    /// cannot be deleted is logged: the record is gone, so it can no longer be read.
    pub(super) async fn delete_media(&self, service_sid: &str, sid: &str) {
        if let Err(e) = self.store.delete_media(service_sid, sid).await {
            tracing::warn!(media = sid, error = %e, "deleting a media record failed");
            return;
        }
        if let Some(blobs) = &self.blobs
            && let Err(e) = blobs.delete(&media::key(service_sid, sid)).await
        {
            tracing::warn!(media = sid, error = %e, "deleting a media file failed");
        }
    }
}

/// Files the orphan sweep reads per page.
const SWEEP_PAGE: usize = 500;

/// How often each node sweeps media files that lost their record.
pub const MEDIA_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Files younger than this are never swept: an upload writes its file before its record.
pub const MEDIA_SWEEP_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);

impl Chat {
    /// Deletes media files older than `grace` whose record is gone: files of channels and
    /// services deleted with their media, and of uploads whose record was never written (a
    /// crash between the two). Walks the storage a page at a time, one read per page for the
    /// records; returns how many files went.
    ///
    /// # Errors
    /// When the storage cannot be listed or the store read.
    pub async fn sweep_media_files(&self, grace: std::time::Duration) -> Result<u64, ChatError> {
        let Some(blobs) = &self.blobs else {
            return Ok(0);
        };
        let cutoff = std::time::SystemTime::now()
            .checked_sub(grace)
            .unwrap_or(std::time::UNIX_EPOCH);
        let mut after: Option<String> = None;
        let mut swept = 0;
        loop {
            let page = blobs
                .list(after.as_deref(), SWEEP_PAGE)
                .await
                .map_err(|e| ChatError::Store(crate::store::StoreError::other(e.to_string())))?;
            let Some((last, _)) = page.last() else {
                return Ok(swept);
            };
            after = Some(last.clone());
            let old: Vec<(String, String)> = page
                .iter()
                .filter(|(_, modified)| *modified < cutoff)
                .filter_map(|(key, _)| key.rsplit_once('/').map(|(_, sid)| (key.clone(), sid.to_owned())))
                .collect();
            let sids: Vec<String> = old.iter().map(|(_, sid)| sid.clone()).collect();
            let kept = self.store.existing_media(&sids).await?;
            for (key, sid) in &old {
                if !kept.contains(sid) && blobs.delete(key).await.is_ok() {
                    swept += 1;
                }
            }
            if page.len() < SWEEP_PAGE {
                return Ok(swept);
            }
        }
    }

    /// Starts this node's hourly sweep of orphaned media files (call once per server).
    pub fn spawn_media_sweeper(&self) {
        let chat = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(MEDIA_SWEEP_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                match chat.sweep_media_files(MEDIA_SWEEP_GRACE).await {
                    Ok(0) => {}
                    Ok(swept) => tracing::info!(swept, "deleted media files whose record is gone"),
                    Err(e) => tracing::warn!(error = %e, "cannot sweep media files; retrying next round"),
                }
            }
        });
    }
}

fn media_not_found(sid: &str) -> ChatError {
    ChatError::new(50507, format!("Media not found: {sid}"))
}

fn media_taken(sid: &str) -> ChatError {
    ChatError::new(50508, format!("Media already sent with another message: {sid}"))
}
