//! Messages: appended with a gap-free per-channel index, edited, deleted.

use super::{Chat, ChatError, validate};
use crate::sid;
use crate::store::{Keyed, Message, PageReq};
use crate::time::{self, Timestamp};

/// Longest message body (bytes): Twilio's 32 KiB.
pub const MAX_BODY: usize = 32 * 1024;

/// CreateMessage input.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    /// `From` (`system` when absent).
    pub from: Option<String>,
    /// `Body` (empty when absent).
    pub body: Option<String>,
    /// `Attributes`
    pub attributes: Option<String>,
    /// `MediaSid`
    pub media_sid: Option<String>,
    /// `DateCreated`
    pub date_created: Option<Timestamp>,
    /// `DateUpdated`
    pub date_updated: Option<Timestamp>,
    /// `LastUpdatedBy`
    pub last_updated_by: Option<String>,
}

/// UpdateMessage input.
#[derive(Debug, Clone, Default)]
pub struct MessagePatch {
    /// `Body`
    pub body: Option<String>,
    /// `Attributes`
    pub attributes: Option<String>,
    /// `DateCreated`
    pub date_created: Option<Timestamp>,
    /// `DateUpdated`
    pub date_updated: Option<Timestamp>,
    /// `LastUpdatedBy`
    pub last_updated_by: Option<String>,
    /// `From`
    pub from: Option<String>,
}

fn body(body: &str) -> Result<String, ChatError> {
    if body.len() > MAX_BODY {
        return Err(ChatError::invalid_code(
            50504,
            format!("Message body too long (maximum {MAX_BODY} bytes)"),
        ));
    }
    Ok(body.to_owned())
}

fn author(param: &str, from: &str) -> Result<String, ChatError> {
    if from.chars().count() > super::users::MAX_IDENTITY {
        return Err(ChatError::invalid_code(50310, format!("{param} is too long")));
    }
    Ok(from.to_owned())
}

impl Chat {
    /// CreateMessage: appends to the channel; the index is assigned in the write transaction.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 50504 for a long body; 50304 for bad attributes.
    pub async fn send_message(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        input: NewMessage,
    ) -> Result<Message, ChatError> {
        let (service, channel) = self.channel_of(account_sid, service_sid, channel_key).await?;
        let body = body(input.body.as_deref().unwrap_or(""))?;
        let attributes = validate::attributes(input.attributes.as_deref().unwrap_or("{}"))?;
        if let Some(m) = &input.media_sid
            && !sid::is_sid(sid::MEDIA, m)
        {
            return Err(ChatError::invalid("MediaSid", "must be a Media SID (ME…)"));
        }
        let from = author("From", input.from.as_deref().unwrap_or("system"))?;
        let date_created = input.date_created.unwrap_or_else(time::now);
        let date_updated = input.date_updated.unwrap_or(date_created);
        let message = Message {
            sid: sid::generate(sid::MESSAGE),
            account_sid: account_sid.to_owned(),
            service_sid: service.sid.clone(),
            channel_sid: channel.sid,
            index: 0,
            from,
            body,
            attributes: Some(attributes),
            media_sid: input.media_sid,
            was_edited: date_updated != date_created,
            last_updated_by: input.last_updated_by,
            date_created,
            date_updated,
        };
        self.store
            .append_message(&message, &[])
            .await?
            .ok_or(ChatError::NotFound)
    }

    /// FetchMessage.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn message(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        sid: &str,
    ) -> Result<Message, ChatError> {
        let (_, channel) = self.channel_of(account_sid, service_sid, channel_key).await?;
        if !sid::is_sid(sid::MESSAGE, sid) {
            return Err(ChatError::NotFound);
        }
        self.store.message(&channel.sid, sid).await?.ok_or(ChatError::NotFound)
    }

    /// ListMessage by index (ascending, or descending with `page.desc`).
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn list_messages(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        page: PageReq,
    ) -> Result<Vec<Keyed<Message>>, ChatError> {
        let (_, channel) = self.channel_of(account_sid, service_sid, channel_key).await?;
        Ok(self.store.list_messages(&channel.sid, page).await?)
    }

    /// UpdateMessage.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; validation errors.
    pub async fn update_message(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        sid: &str,
        patch: MessagePatch,
    ) -> Result<Message, ChatError> {
        let mut m = self.message(account_sid, service_sid, channel_key, sid).await?;
        if let Some(b) = &patch.body {
            m.body = body(b)?;
            m.was_edited = true;
        }
        if let Some(a) = &patch.attributes {
            m.attributes = Some(validate::attributes(a)?);
            m.was_edited = true;
        }
        if let Some(f) = &patch.from {
            m.from = author("From", f)?;
        }
        if let Some(by) = &patch.last_updated_by {
            m.last_updated_by = Some(author("LastUpdatedBy", by)?);
        }
        if let Some(d) = patch.date_created {
            m.date_created = d;
        }
        m.date_updated = patch.date_updated.unwrap_or_else(time::now);
        if self.store.update_message(&m, &[]).await? {
            Ok(m)
        } else {
            Err(ChatError::NotFound)
        }
    }

    /// DeleteMessage; the indexes of the other messages do not change.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn delete_message(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        sid: &str,
    ) -> Result<(), ChatError> {
        let m = self.message(account_sid, service_sid, channel_key, sid).await?;
        if self.store.delete_message(&m.channel_sid, &m.sid, &[]).await? {
            Ok(())
        } else {
            Err(ChatError::NotFound)
        }
    }
}
