//! Messages: appended with a gap-free per-channel index, edited, deleted.

use super::events::{message_params, modified};
use super::{Chat, ChatError, validate};
use crate::sid;
use std::sync::Arc;

use crate::store::{Channel, Keyed, Message, PageReq, Service};
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

/// Applies the fields of `patch` that are set (except `DateUpdated`, set by the caller).
fn apply_patch(m: &mut Message, patch: &MessagePatch) -> Result<(), ChatError> {
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
    Ok(())
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
        webhooks: bool,
    ) -> Result<Message, ChatError> {
        // Without webhooks only the channel's SID is needed, which is usually known in memory.
        let (service, channel_sid, channel) = if webhooks {
            let (service, channel) = self.channel_of(account_sid, service_sid, channel_key).await?;
            (service, channel.sid.clone(), Some(channel))
        } else {
            let (service, sid) = self.channel_sid_of(account_sid, service_sid, channel_key).await?;
            (service, sid, None)
        };
        let mut body = body(input.body.as_deref().unwrap_or(""))?;
        let mut attributes = validate::attributes(input.attributes.as_deref().unwrap_or("{}"))?;
        if let Some(m) = &input.media_sid
            && !sid::is_sid(sid::MEDIA, m)
        {
            return Err(ChatError::invalid("MediaSid", "must be a Media SID (ME…)"));
        }
        let from = author("From", input.from.as_deref().unwrap_or("system"))?;
        let date_created = input.date_created.unwrap_or_else(time::now);
        let date_updated = input.date_updated.unwrap_or(date_created);
        let mut message = Message {
            sid: sid::generate(sid::MESSAGE),
            account_sid: account_sid.to_owned(),
            service_sid: service.sid.clone(),
            channel_sid: channel_sid.clone(),
            index: 0,
            from,
            body: String::new(),
            attributes: None,
            media_sid: input.media_sid,
            was_edited: date_updated != date_created,
            last_updated_by: input
                .last_updated_by
                .as_deref()
                .map(|by| author("LastUpdatedBy", by))
                .transpose()?,
            date_created,
            date_updated,
        };
        let (pre, post) = if message.media_sid.is_some() {
            ("onMediaMessageSend", "onMediaMessageSent")
        } else {
            ("onMessageSend", "onMessageSent")
        };
        if webhooks {
            message.body.clone_from(&body);
            message.attributes = Some(attributes.clone());
            let answer = self
                .pre_event(webhooks, &service, pre, message_params(&message, false))
                .await?;
            if let Some(b) = modified(answer.as_ref(), "body", "Body") {
                body = self::body(&b)?;
            }
            if let Some(a) = modified(answer.as_ref(), "attributes", "Attributes") {
                attributes = validate::attributes(&a)?;
            }
        }
        message.body = body;
        message.attributes = Some(attributes);
        let params = if webhooks {
            message_params(&message, true)
        } else {
            Vec::new()
        };
        let outbox = self
            .post_events(webhooks, &service, channel.as_ref(), post, &params, Some(&message.body))
            .await?;
        let stored = self
            .store
            .append_message(&message, &outbox)
            .await?
            .ok_or(ChatError::NotFound)?;
        self.emit(post, &service, Some(&channel_sid), &stored.sid).await;
        Ok(stored)
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
        Ok(self.message_of(account_sid, service_sid, channel_key, sid).await?.2)
    }

    async fn message_of(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        sid: &str,
    ) -> Result<(Arc<Service>, Channel, Message), ChatError> {
        let (service, channel) = self.channel_of(account_sid, service_sid, channel_key).await?;
        if !sid::is_sid(sid::MESSAGE, sid) {
            return Err(ChatError::NotFound);
        }
        let message = self
            .store
            .message(&channel.sid, sid)
            .await?
            .ok_or(ChatError::NotFound)?;
        Ok((service, channel, message))
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
        let (_, channel_sid) = self.channel_sid_of(account_sid, service_sid, channel_key).await?;
        Ok(self.store.list_messages(&channel_sid, page).await?)
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
        mut patch: MessagePatch,
        webhooks: bool,
    ) -> Result<Message, ChatError> {
        let (service, channel, mut m) = self.message_of(account_sid, service_sid, channel_key, sid).await?;
        apply_patch(&mut m, &patch)?;
        if webhooks {
            // The hook sees the message as it would be after the update, and may change it.
            let mut params = message_params(&m, true);
            params.push(("Index".to_owned(), m.index.to_string()));
            let answer = self.pre_event(webhooks, &service, "onMessageUpdate", params).await?;
            patch.body = modified(answer.as_ref(), "body", "Body");
            patch.attributes = modified(answer.as_ref(), "attributes", "Attributes");
            apply_patch(
                &mut m,
                &MessagePatch {
                    body: patch.body.take(),
                    attributes: patch.attributes.take(),
                    ..MessagePatch::default()
                },
            )?;
        }
        m.date_updated = patch.date_updated.unwrap_or_else(time::now);
        let mut params = message_params(&m, true);
        params.push(("Index".to_owned(), m.index.to_string()));
        params.extend(m.last_updated_by.iter().map(|by| ("ModifiedBy".to_owned(), by.clone())));
        let outbox = self
            .post_events(webhooks, &service, Some(&channel), "onMessageUpdated", &params, None)
            .await?;
        if self.store.update_message(&m, &outbox).await? {
            self.emit("onMessageUpdated", &service, Some(&channel.sid), &m.sid)
                .await;
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
        webhooks: bool,
    ) -> Result<(), ChatError> {
        let (service, channel, m) = self.message_of(account_sid, service_sid, channel_key, sid).await?;
        let mut params = message_params(&m, true);
        params.push(("Index".to_owned(), m.index.to_string()));
        self.pre_event(webhooks, &service, "onMessageRemove", params.clone())
            .await?;
        params.push(("DateRemoved".to_owned(), time::format(&time::now())));
        let outbox = self
            .post_events(webhooks, &service, Some(&channel), "onMessageRemoved", &params, None)
            .await?;
        if self.store.delete_message(&m.channel_sid, &m.sid, &outbox).await? {
            self.emit("onMessageRemoved", &service, Some(&channel.sid), &m.sid)
                .await;
            Ok(())
        } else {
            Err(ChatError::NotFound)
        }
    }
}
