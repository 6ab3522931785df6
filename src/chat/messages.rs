//! Messages: appended with a gap-free per-channel index, edited, deleted.

use super::events::{Event, modified};
use super::payload::Payload;
use super::write::Where;
use super::{Access, Actor, ChannelRef, Chat, ChatError, Permission, Scope, validate};
use crate::sid;
use crate::store::{Channel, Keyed, Message, PageReq};
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

/// A resolved message target: the scope, the channel's SID, the whole channel when it was
/// read, and whether it is private (a conversation).
type Target = (Scope, String, Option<Channel>, bool);

impl Chat {
    /// Resolves a channel for a message operation. The operator without webhooks needs only
    /// the channel's SID, usually known in memory (the hot path); everyone else gets the
    /// whole channel, checked for visibility.
    async fn message_target(&self, at: ChannelRef<'_>) -> Result<Target, ChatError> {
        if let Actor::Operator { webhooks: false } = at.service.caller.actor {
            let (service, sid, private) = self
                .channel_sid_of(&at.service.caller.account_sid, at.service.sid, at.key)
                .await?;
            let access = Access::Operator { webhooks: false };
            let scope = Scope {
                service,
                access,
                channel_webhooks: true,
            };
            return Ok((scope, sid, None, private));
        }
        let (scope, channel) = self.channel_scope(at).await?;
        let private = channel.channel_type == "private";
        Ok((scope, channel.sid.clone(), Some(channel), private))
    }

    /// CreateMessage through the Conversations API: [`Chat::send_message`] in a conversation
    /// (a private channel; a public one is not found), with the author's participant SID. On
    /// the operator's hot path neither needs a read: the channel's kind is remembered with its
    /// SID, a closed conversation is refused by the append itself, and participants are
    /// remembered (single-process stores).
    ///
    /// # Errors
    /// As [`Chat::send_message`].
    pub async fn send_conversation_message(
        &self,
        at: ChannelRef<'_>,
        input: NewMessage,
    ) -> Result<(Message, Option<String>), ChatError> {
        let target = self.message_target(at).await?;
        if !target.3 {
            return Err(ChatError::NotFound);
        }
        let message = self.send_to(target, input).await?;
        let participant = self.participant_sid(&message.channel_sid, &message.from).await?;
        Ok((message, participant))
    }

    /// The participant (member) SID of `identity` in channel `channel_sid`, if a member.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn participant_sid(&self, channel_sid: &str, identity: &str) -> Result<Option<String>, ChatError> {
        let key = (channel_sid.to_owned(), identity.to_owned());
        if let Some(found) = self.participants.get(&key) {
            return Ok(found);
        }
        let ticket = self.participants.ticket();
        let page = PageReq {
            after: None,
            before: None,
            limit: 1,
            desc: false,
        };
        let rows = self
            .store
            .list_members(channel_sid, std::slice::from_ref(&key.1), page)
            .await?;
        let found = rows.into_iter().next().map(|k| k.item.sid);
        if !self.store.shared() {
            self.participants.fill(ticket, key, found.clone());
        }
        Ok(found)
    }

    /// Forgets every remembered participant; called after any change to memberships.
    pub(super) fn forget_participants(&self) {
        self.participants.invalidate(|_, _| true);
    }

    /// CreateMessage: appends to the channel; the index is assigned in the write transaction.
    /// An end user must be a member holding `sendMessage` (`sendMediaMessage` with media);
    /// their messages are always from their identity.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 50504 for a long body; 50304 for bad attributes; 50400/50107
    /// (403) for an end user who may not send.
    pub async fn send_message(&self, at: ChannelRef<'_>, input: NewMessage) -> Result<Message, ChatError> {
        let target = self.message_target(at).await?;
        self.send_to(target, input).await
    }

    /// Sends to a resolved target (see [`Chat::send_message`]).
    async fn send_to(&self, target: Target, input: NewMessage) -> Result<Message, ChatError> {
        let (scope, channel_sid, channel, _) = target;
        let mut body = body(input.body.as_deref().unwrap_or(""))?;
        let mut attributes = validate::attributes(input.attributes.as_deref().unwrap_or("{}"))?;
        if let Some(m) = &input.media_sid
            && !sid::is_sid(sid::MEDIA, m)
        {
            return Err(ChatError::invalid("MediaSid", "must be a Media SID (ME…)"));
        }
        let identity = scope.access.identity();
        let from = match identity {
            Some(identity) => identity.to_owned(),
            None => author("From", input.from.as_deref().unwrap_or("system"))?,
        };
        let (date_created, date_updated, last_updated_by) = if identity.is_some() {
            let now = time::now();
            (now, now, None)
        } else {
            let created = input.date_created.unwrap_or_else(time::now);
            let by = input.last_updated_by.as_deref().map(|by| author("LastUpdatedBy", by));
            (created, input.date_updated.unwrap_or(created), by.transpose()?)
        };
        let (event, permission) = if input.media_sid.is_some() {
            (Event::MediaMessageSend, Permission::SendMediaMessage)
        } else {
            (Event::MessageSend, Permission::SendMessage)
        };
        let allowed = member_may(&scope.access, permission);
        let place = channel.as_ref().map_or(Where::ChannelSid(&channel_sid), Where::Channel);
        let change = self.change(&scope, place, event, allowed)?;
        let media = match &input.media_sid {
            Some(m) => Some(self.media_for_message(&scope.service.sid, m).await?),
            None => None,
        };
        let mut message = Message {
            sid: sid::generate(sid::MESSAGE),
            account_sid: scope.service.account_sid.clone(),
            service_sid: scope.service.sid.clone(),
            channel_sid: channel_sid.clone(),
            index: 0,
            from,
            body: body.clone(),
            attributes: Some(attributes.clone()),
            media,
            was_edited: date_updated != date_created,
            last_updated_by,
            date_created,
            date_updated,
        };
        let (approved, answer) = change.pre(|| Payload::message(&message, false)).await?;
        if let Some(b) = modified(answer.as_ref(), "body", "Body") {
            body = self::body(&b)?;
        }
        if let Some(a) = modified(answer.as_ref(), "attributes", "Attributes") {
            attributes = validate::attributes(&a)?;
        }
        message.body = body;
        message.attributes = Some(attributes);
        // A message makes an inactive conversation active again (where the channel was not
        // read, the store does it in the message's transaction).
        if let Some(c) = channel.as_ref().filter(|c| c.state == "inactive") {
            self.reactivate(c, scope.webhooks()).await?;
        }
        let message = &message;
        approved
            .commit(
                &message.sid,
                || Payload::message(message, true),
                Some(&message.body),
                async |outbox| self.append_with_media(message, outbox).await,
            )
            .await
    }

    /// FetchMessage.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn message(&self, at: ChannelRef<'_>, sid: &str) -> Result<Message, ChatError> {
        Ok(self.message_of(at, sid).await?.2)
    }

    async fn message_of(&self, at: ChannelRef<'_>, sid: &str) -> Result<(Scope, Channel, Message), ChatError> {
        let (scope, channel) = self.channel_scope(at).await?;
        if !sid::is_sid(sid::MESSAGE, sid) {
            return Err(ChatError::NotFound);
        }
        let message = self
            .store
            .message(&channel.sid, sid)
            .await?
            .ok_or(ChatError::NotFound)?;
        Ok((scope, channel, message))
    }

    /// ListMessage by index (ascending, or descending with `page.desc`).
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn list_messages(&self, at: ChannelRef<'_>, page: PageReq) -> Result<Vec<Keyed<Message>>, ChatError> {
        let (_, channel_sid, _, _) = self.message_target(at).await?;
        Ok(self.store.list_messages(&channel_sid, page).await?)
    }

    /// UpdateMessage. An end user edits the body with `editOwnMessage`/`editAnyMessage` and
    /// the attributes with `editOwnMessageAttributes`/`editAnyMessageAttributes`; authorship
    /// and dates are the operator's to change.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; validation errors; 50107 (403).
    pub async fn update_message(
        &self,
        at: ChannelRef<'_>,
        sid: &str,
        mut patch: MessagePatch,
    ) -> Result<Message, ChatError> {
        let (scope, channel, mut m) = self.message_of(at, sid).await?;
        let access = &scope.access;
        let mut allowed = Ok(());
        if let Some(identity) = access.identity() {
            patch.from = None;
            patch.date_created = None;
            patch.date_updated = None;
            patch.last_updated_by = Some(identity.to_owned());
            if patch.body.is_some() {
                allowed = access.require_own_or_any(&m.from, Permission::EditOwnMessage, Permission::EditAnyMessage);
            }
            if allowed.is_ok() && patch.attributes.is_some() {
                allowed = access.require_own_or_any(
                    &m.from,
                    Permission::EditOwnMessageAttributes,
                    Permission::EditAnyMessageAttributes,
                );
            }
        }
        let change = self.change(&scope, Where::Channel(&channel), Event::MessageUpdate, allowed)?;
        apply_patch(&mut m, &patch)?;
        // The hook sees the message as it would be after the update, and may change it.
        let (approved, answer) = change.pre(|| indexed(&m)).await?;
        apply_patch(
            &mut m,
            &MessagePatch {
                body: modified(answer.as_ref(), "body", "Body"),
                attributes: modified(answer.as_ref(), "attributes", "Attributes"),
                ..MessagePatch::default()
            },
        )?;
        m.date_updated = patch.date_updated.unwrap_or_else(time::now);
        let m = &m;
        approved
            .commit(
                &m.sid,
                || {
                    let mut payload = indexed(m);
                    if let Some(by) = &m.last_updated_by {
                        payload.push_chat("ModifiedBy", by);
                    }
                    payload
                },
                None,
                async |outbox| match self.store.update_message(m, outbox).await? {
                    true => Ok(m.clone()),
                    false => Err(ChatError::NotFound),
                },
            )
            .await
    }

    /// DeleteMessage; the indexes of the other messages do not change. An end user needs
    /// `deleteOwnMessage` or `deleteAnyMessage`.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 50107 (403).
    pub async fn delete_message(&self, at: ChannelRef<'_>, sid: &str) -> Result<(), ChatError> {
        let (scope, channel, m) = self.message_of(at, sid).await?;
        let allowed = match scope.access.identity() {
            Some(_) => {
                scope
                    .access
                    .require_own_or_any(&m.from, Permission::DeleteOwnMessage, Permission::DeleteAnyMessage)
            }
            None => Ok(()),
        };
        let change = self.change(&scope, Where::Channel(&channel), Event::MessageRemove, allowed)?;
        let (approved, _) = change.pre(|| indexed(&m)).await?;
        let m = &m;
        approved
            .commit(
                &m.sid,
                || {
                    let mut payload = indexed(m);
                    payload.removed_now(true);
                    payload
                },
                None,
                async |outbox| match self.store.delete_message(&m.channel_sid, &m.sid, outbox).await? {
                    true => Ok(()),
                    false => Err(ChatError::NotFound),
                },
            )
            .await?;
        if let Some(media) = &m.media {
            self.delete_media(&m.service_sid, &media.sid).await;
        }
        Ok(())
    }
}

/// The parameters of events about a stored message, with its index.
fn indexed(m: &Message) -> Payload {
    let mut payload = Payload::message(m, true);
    payload.push("Index", m.index.to_string());
    payload
}

/// An end user acting in a channel must be a member with `permission`; the operator may.
pub(super) fn member_may(access: &Access, permission: Permission) -> Result<(), ChatError> {
    if !access.is_member() {
        return Err(ChatError::new(
            50400,
            format!("User not member of channel: {} needs membership", permission.name()),
        ));
    }
    access.require(permission)
}
