//! Live changes for connected clients: one reader of each service's change log per process,
//! fanned out to every client of that service that follows it.
//!
//! A client socket follows its service ([`Chat::follow`]) and receives [`FeedBatch`]es: the
//! service's changes in position order, each with what it changed as it is now
//! ([`Observed`]), read once per process however many clients follow. The reader wakes on
//! the event bus (which spans every node) and reads the log from the database, so a change
//! written on any node reaches every node's clients in the same order, exactly once; it also
//! polls every [`POLL_EVERY`] in case a notice was lost. A client too slow for the buffer
//! ([`FEED_CAPACITY`] batches) is told it lagged and catches up from the database itself,
//! with [`Chat::changes_after`] and [`Chat::observe`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use super::{Catchup, ChannelRef, Chat, ChatError, MAX_CHANGES_PER_READ};
use crate::store::{Change, ChangeKind, Channel, Invite, Member, Message, Reachability, User};
use crate::time::Timestamp;

/// Batches buffered per follower before it is told it lagged.
pub const FEED_CAPACITY: usize = 256;

/// Reads one reader runs at once while it reads what a batch of changes changed.
const OBSERVE_CONCURRENCY: usize = 16;

/// How often a service's reader looks at the log without being woken.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// A channel as clients see it: the channel and its last message's index and date.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelView {
    /// The channel.
    pub channel: Channel,
    /// The index and creation date of its last message, if it has one.
    pub last_message: Option<(i64, Timestamp)>,
}

/// What a change left behind, read after it was logged (so possibly newer than the change).
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// A message added or updated, and its channel.
    Message {
        /// The message.
        message: Message,
        /// Its channel.
        channel: ChannelView,
    },
    /// A member added or updated, its user's SID (if the user exists) and its channel.
    Member {
        /// The member.
        member: Member,
        /// The SID of the member's user.
        user_sid: Option<String>,
        /// Its channel.
        channel: ChannelView,
    },
    /// An invite, the invitee's user SID and the channel.
    Invite {
        /// The invite.
        invite: Invite,
        /// The SID of the invited user.
        user_sid: Option<String>,
        /// Its channel.
        channel: ChannelView,
    },
    /// A channel added or updated.
    Channel(ChannelView),
    /// A user added or updated.
    User(User),
    /// A user whose reachability changed, and what it is now.
    Reachability {
        /// The user.
        user: User,
        /// Online and notifiable, now.
        reachability: Reachability,
    },
    /// A message, member or invite removed: the user it concerned (members and invites, from
    /// the change's detail) and the channel as it is now (`None` once the channel is gone).
    Removed {
        /// The SID of the member's or invitee's user.
        user_sid: Option<String>,
        /// The channel, if it still exists.
        channel: Option<ChannelView>,
    },
    /// What changed no longer exists (it was removed by this change or a later one).
    Gone,
}

/// One logged change with what it changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// The change.
    pub change: Change,
    /// What it changed, as it is now.
    pub detail: Detail,
}

/// Consecutive changes of one service, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedBatch {
    /// The changes with their details.
    pub changes: Vec<Observed>,
}

/// The readers of this process, by service.
#[derive(Default)]
pub struct Feeds {
    services: Mutex<HashMap<String, broadcast::Sender<Arc<FeedBatch>>>>,
}

impl Chat {
    /// Follows the live changes of service `service_sid` from now on. The caller has checked
    /// that its client belongs to the service; it filters what its client may see.
    #[must_use]
    pub fn follow(&self, service_sid: &str) -> broadcast::Receiver<Arc<FeedBatch>> {
        let mut services = self
            .feeds
            .services
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(tx) = services.get(service_sid) {
            return tx.subscribe();
        }
        let (tx, rx) = broadcast::channel(FEED_CAPACITY);
        services.insert(service_sid.to_owned(), tx.clone());
        tokio::spawn(self.clone().read_feed(service_sid.to_owned(), tx));
        rx
    }

    /// Reads service `service` log after its current head and sends it to the followers until
    /// none is left.
    async fn read_feed(self, service: String, tx: broadcast::Sender<Arc<FeedBatch>>) {
        let mut bus = self.subscribe();
        let mut position = loop {
            match self.last_change(&service).await {
                Ok(head) => break head.last_position,
                Err(e) => {
                    tracing::warn!(error = %e, %service, "cannot read the change log head; retrying");
                    tokio::time::sleep(POLL_EVERY).await;
                }
            }
        };
        let mut poll = tokio::time::interval(POLL_EVERY);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = bus.recv() => match event {
                    Ok(e) if e.service_sid != service => continue,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = poll.tick() => {}
            }
            // Wake-ups that arrived meanwhile are covered by the read below.
            while bus.try_recv().is_ok() {}
            if !self.retire_if_unfollowed(&service, &tx) {
                return;
            }
            if let Err(e) = self.read_feed_once(&service, &mut position, &tx).await {
                tracing::warn!(error = %e, %service, "cannot read the change log; retrying");
            }
        }
    }

    /// Removes the reader of `service` when nobody follows it; false when it was removed.
    fn retire_if_unfollowed(&self, service: &str, tx: &broadcast::Sender<Arc<FeedBatch>>) -> bool {
        let mut services = self
            .feeds
            .services
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if tx.receiver_count() > 0 {
            return true;
        }
        services.remove(service);
        false
    }

    /// Sends every change after `position` and advances it.
    async fn read_feed_once(
        &self,
        service: &str,
        position: &mut i64,
        tx: &broadcast::Sender<Arc<FeedBatch>>,
    ) -> Result<(), ChatError> {
        loop {
            let changes = match self
                .changes_after(service, *position, None, MAX_CHANGES_PER_READ)
                .await?
            {
                Catchup::Changes(changes) => changes,
                Catchup::Resync(head) => {
                    tracing::warn!(%service, "the change log was pruned past this process's reader; skipping ahead");
                    *position = head.last_position;
                    return Ok(());
                }
            };
            let Some(last) = changes.last().map(|c| c.position) else {
                return Ok(());
            };
            let full = changes.len() == MAX_CHANGES_PER_READ;
            let observed = self.observe(changes).await?;
            *position = last;
            let _ = tx.send(Arc::new(FeedBatch { changes: observed }));
            if !full {
                return Ok(());
            }
        }
    }

    /// Reads what each change changed, as it is now; channels are read once per call.
    ///
    /// # Errors
    /// [`ChatError::Store`] when the database cannot be read.
    pub async fn observe(&self, changes: Vec<Change>) -> Result<Vec<Observed>, ChatError> {
        use futures_util::future::try_join_all;
        // The channels first, each once; then every change's record. Both read
        // OBSERVE_CONCURRENCY records at a time (one reader must keep up with every writer of
        // its service), and the changes keep their order.
        let mut wanted: Vec<(&str, &str)> = changes
            .iter()
            .filter(|c| c.kind != ChangeKind::ChannelRemoved)
            .filter_map(|c| c.channel_sid.as_deref().map(|ch| (c.service_sid.as_str(), ch)))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut views: HashMap<String, Option<ChannelView>> = HashMap::new();
        for chunk in wanted.chunks(OBSERVE_CONCURRENCY) {
            let read = try_join_all(chunk.iter().map(|(service, ch)| self.view_of(service, ch))).await?;
            views.extend(chunk.iter().map(|(_, ch)| (*ch).to_owned()).zip(read));
        }
        let mut out = Vec::with_capacity(changes.len());
        for chunk in changes.chunks(OBSERVE_CONCURRENCY) {
            let details = try_join_all(chunk.iter().map(|c| {
                let channel = c.channel_sid.as_ref().and_then(|ch| views.get(ch).cloned().flatten());
                self.detail(c, channel)
            }))
            .await?;
            out.extend(
                chunk
                    .iter()
                    .cloned()
                    .zip(details)
                    .map(|(change, detail)| Observed { change, detail }),
            );
        }
        Ok(out)
    }

    async fn detail(&self, change: &Change, channel: Option<ChannelView>) -> Result<Detail, ChatError> {
        use ChangeKind as K;
        let service = &change.service_sid;
        let channel = channel.filter(|_| change.kind != K::ChannelRemoved);
        if matches!(change.kind, K::MessageRemoved | K::MemberRemoved | K::InviteRemoved) {
            return self.removed(change, channel).await;
        }
        let gone = Ok(Detail::Gone);
        let Some(channel) = channel else {
            return match change.kind {
                K::UserAdded | K::UserUpdated => Ok(self
                    .store
                    .user(service, &change.sid)
                    .await?
                    .map_or(Detail::Gone, Detail::User)),
                K::UserReachability => match self.store.user(service, &change.sid).await? {
                    Some(user) => {
                        let reachability = self.reachability_of(&user).await?;
                        Ok(Detail::Reachability { user, reachability })
                    }
                    None => gone,
                },
                _ => gone,
            };
        };
        let ch = channel.channel.sid.clone();
        Ok(match change.kind {
            K::MessageAdded | K::MessageUpdated => match self.store.message(&ch, &change.sid).await? {
                Some(message) => Detail::Message { message, channel },
                None => Detail::Gone,
            },
            K::MemberAdded | K::MemberUpdated => match self.store.member(&ch, &change.sid).await? {
                Some(member) => {
                    let user_sid = self.user_sid(service, &member.identity).await?;
                    Detail::Member {
                        member,
                        user_sid,
                        channel,
                    }
                }
                None => Detail::Gone,
            },
            K::InviteAdded => match self.store.invite(&ch, &change.sid).await? {
                Some(invite) => {
                    let user_sid = self.user_sid(service, &invite.identity).await?;
                    Detail::Invite {
                        invite,
                        user_sid,
                        channel,
                    }
                }
                None => Detail::Gone,
            },
            K::ChannelAdded | K::ChannelUpdated => Detail::Channel(channel),
            _ => Detail::Gone,
        })
    }

    /// A removal's detail: whose membership or invite ended. An invite consumed by its
    /// identity joining the channel is no removal for the user (their membership follows it).
    async fn removed(&self, change: &Change, channel: Option<ChannelView>) -> Result<Detail, ChatError> {
        let identity = match (change.kind, change.detail.as_deref()) {
            (ChangeKind::MemberRemoved | ChangeKind::InviteRemoved, Some(identity)) => identity,
            _ => {
                return Ok(Detail::Removed {
                    user_sid: None,
                    channel,
                });
            }
        };
        if change.kind == ChangeKind::InviteRemoved
            && let Some(view) = &channel
            && self.store.member(&view.channel.sid, identity).await?.is_some()
        {
            return Ok(Detail::Gone);
        }
        let user_sid = self.user_sid(&change.service_sid, identity).await?;
        Ok(Detail::Removed { user_sid, channel })
    }

    /// The SID of the user `identity`, if the user exists.
    async fn user_sid(&self, service: &str, identity: &str) -> Result<Option<String>, ChatError> {
        Ok(self.store.user(service, identity).await?.map(|u| u.sid))
    }

    /// FetchChannel with the channel's last message, as clients see it.
    ///
    /// # Errors
    /// As [`Chat::channel`].
    pub async fn channel_view(&self, at: ChannelRef<'_>) -> Result<ChannelView, ChatError> {
        let channel = self.channel(at).await?;
        self.with_last_message(channel).await
    }

    /// Channel `sid` of `service` with its last message; `None` when gone.
    async fn view_of(&self, service: &str, sid: &str) -> Result<Option<ChannelView>, ChatError> {
        match self.store.channel(service, sid).await? {
            Some(channel) => Ok(Some(self.with_last_message(channel).await?)),
            None => Ok(None),
        }
    }

    async fn with_last_message(&self, channel: Channel) -> Result<ChannelView, ChatError> {
        let last_message = match &channel.last_message_sid {
            Some(m) => self
                .store
                .message(&channel.sid, m)
                .await?
                .map(|m| (m.index, m.date_created)),
            None => None,
        };
        Ok(ChannelView { channel, last_message })
    }
}
