//! Subscriptions (CLIENT_PROTOCOL.md §5.4–5.6): `POST /v4/Subscriptions` and the per-socket
//! state that replays what a client missed and then forwards live events.
//!
//! The tunnelled POST only validates the batch and hands it to its socket's [`Subscriptions`]
//! through a bounded mailbox; the socket's own task then answers each object in order: replay
//! from the database (every change after the client's `last_event_id`, at most
//! [`REPLAY_LIMIT`] per round, then `replay_status: interrupted` so the client asks again),
//! `subscription_established`, and from then on the live changes of the service's feed
//! ([`crate::chat::Chat::follow`]) with positions past what was replayed. Replays and live
//! events run on the one task, so each object's events leave in id order, none skipped.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::events::{SyncEvent, events_for};
use super::names::{ObjectKind, SyncObject};
use super::views;
use crate::chat::{Catchup, ChatError, FeedBatch, Observed, Typing};
use crate::gateway::frame::Frame;
use crate::gateway::protocol;
use crate::gateway::tunnel::{Endpoint, Routes, TunnelContext, TunnelRequest, TunnelResponse};
use crate::store::{Change, ChangeKind};

/// Subscription batches one socket may have waiting; beyond it the POST answers 429.
pub const MAILBOX: usize = 16;

/// Objects one batch may name (the JS client's own default).
pub const MAX_BATCH_SIZE: usize = 100;

/// Changes read per object and round of replay.
pub const REPLAY_LIMIT: usize = 1000;

/// Rounds of [`REPLAY_LIMIT`] changes a lagging socket reads per object before it gives up
/// (and is resumed by its client's next subscription).
const MAX_CATCH_UP_ROUNDS: usize = 100;

/// The notification type of typing indicators.
const TYPING_INDICATOR: &str = "twilio.ipmsg.typing_indicator";

/// The notification type of Sync events.
const SYNC_EVENT: &str = "twilio.sync.event";

/// One object of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Requested {
    /// `object_sid` as sent.
    pub sid: String,
    /// `document`, `map` or `list`.
    pub object_type: String,
    /// Replay after this event id; `None` for no replay.
    pub last_event_id: Option<i64>,
}

/// A validated subscription batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `establish` (true) or `cancel`.
    pub establish: bool,
    /// Echoed in every terminal message.
    pub correlation_id: Value,
    /// The client's event protocol (3 or 4).
    pub version: u64,
    /// The objects.
    pub objects: Vec<Requested>,
}

/// Where `POST /v4/Subscriptions` leaves batches for its socket.
pub type Mailbox = mpsc::Sender<Request>;

/// What the socket reads its batches from.
pub type Inbox = mpsc::Receiver<Request>;

/// A new mailbox of [`MAILBOX`] batches.
#[must_use]
pub fn mailbox() -> (Mailbox, Inbox) {
    mpsc::channel(MAILBOX)
}

/// The routes this module serves.
#[must_use]
pub fn routes(routes: Routes) -> Routes {
    routes.add("POST", "/v4/Subscriptions", Subscribe)
}

/// `POST /v4/Subscriptions`: `200` with the delivery estimate; the answers follow as
/// notifications.
struct Subscribe;

#[async_trait::async_trait]
impl Endpoint for Subscribe {
    async fn call(&self, ctx: &TunnelContext, req: &TunnelRequest, _: &[String]) -> TunnelResponse {
        let request = match parse(&req.body) {
            Ok(r) => r,
            Err(why) => return TunnelResponse::error(&ChatError::invalid_code(20001, why), &req.path),
        };
        let Some(mailbox) = &ctx.subscriptions else {
            return TunnelResponse::not_found(&req.path);
        };
        if mailbox.try_send(request).is_err() {
            let e = ChatError::invalid_code(20429, "Too many subscription requests in flight");
            return TunnelResponse::error(&e, &req.path);
        }
        TunnelResponse::json(
            200,
            json!({"estimated_delivery_in_ms": 5000, "max_batch_size": MAX_BATCH_SIZE, "ttl_in_s": -1}),
        )
    }
}

fn parse(body: &[u8]) -> Result<Request, String> {
    let v: Value = serde_json::from_slice(body).map_err(|_| "The body is not a JSON object".to_owned())?;
    let establish = match v.get("action").and_then(Value::as_str) {
        Some("establish") => true,
        Some("cancel") => false,
        _ => return Err("action must be establish or cancel".to_owned()),
    };
    let requests = v
        .get("requests")
        .and_then(Value::as_array)
        .ok_or("requests must be an array")?;
    if requests.len() > MAX_BATCH_SIZE {
        return Err(format!("At most {MAX_BATCH_SIZE} requests per batch"));
    }
    let mut objects = Vec::with_capacity(requests.len());
    for r in requests {
        let text = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
        let (Some(sid), Some(object_type)) = (text("object_sid"), text("object_type")) else {
            return Err("each request needs object_sid and object_type".to_owned());
        };
        objects.push(Requested {
            sid,
            object_type,
            last_event_id: r.get("last_event_id").and_then(Value::as_i64),
        });
    }
    Ok(Request {
        establish,
        correlation_id: v.get("correlation_id").cloned().unwrap_or(Value::Null),
        version: v.get("event_protocol_version").and_then(Value::as_u64).unwrap_or(4),
        objects,
    })
}

/// One established subscription.
struct Sub {
    object: SyncObject,
    /// The position of the last change delivered (or replayed past) for this object.
    cursor: i64,
    version: u64,
}

/// A socket's subscriptions and its feed.
pub struct Subscriptions {
    ctx: Arc<TunnelContext>,
    subs: HashMap<String, Sub>,
    /// Channel and user SIDs some subscription shows (a cheap filter before rendering).
    owners: HashSet<String>,
    mailbox: mpsc::Receiver<Request>,
    feed: broadcast::Receiver<Arc<FeedBatch>>,
    typing: broadcast::Receiver<Typing>,
}

/// What the socket's task was woken by.
pub enum Wake {
    /// A subscription batch.
    Request(Request),
    /// Live changes.
    Batch(Arc<FeedBatch>),
    /// The feed ran ahead of this socket: catch up from the database.
    Lagged,
    /// Someone is typing somewhere.
    Typing(Typing),
}

impl Subscriptions {
    /// Follows the feed of `ctx`'s service; batches arrive in `inbox`.
    #[must_use]
    pub fn new(ctx: Arc<TunnelContext>, inbox: Inbox) -> Self {
        let feed = ctx.chat.follow(&ctx.token.service_sid);
        let typing = ctx.chat.typing_events();
        Self {
            ctx,
            subs: HashMap::new(),
            owners: HashSet::new(),
            mailbox: inbox,
            feed,
            typing,
        }
    }

    /// Uses `ctx` (a refreshed token) from now on.
    pub fn set_context(&mut self, ctx: Arc<TunnelContext>) {
        self.ctx = ctx;
    }

    /// Waits for the next batch or feed change.
    pub async fn next(&mut self) -> Wake {
        tokio::select! {
            Some(r) = self.mailbox.recv() => Wake::Request(r),
            b = self.feed.recv() => match b {
                Ok(batch) => Wake::Batch(batch),
                Err(broadcast::error::RecvError::Lagged(_)) => Wake::Lagged,
                Err(broadcast::error::RecvError::Closed) => {
                    self.feed = self.ctx.chat.follow(&self.ctx.token.service_sid);
                    Wake::Lagged
                }
            },
            Ok(t) = self.typing.recv() => Wake::Typing(t),
        }
    }

    /// Answers a batch: for each object, replay and a terminal message (establish), or
    /// `subscription_canceled` (cancel).
    pub async fn on_request(&mut self, r: Request) -> Vec<Frame> {
        let mut out = Vec::new();
        for o in r.objects {
            if !r.establish {
                self.subs.remove(&o.sid);
                let event = json!({"object_sid": o.sid, "object_type": o.object_type});
                out.push(notification(
                    "subscription_canceled",
                    r.version,
                    Some(&r.correlation_id),
                    event,
                ));
                continue;
            }
            match self.establish(&o, r.version, &r.correlation_id, &mut out).await {
                Ok(()) => {}
                Err(e) => {
                    self.subs.remove(&o.sid);
                    let error = json!({"status": e.status(), "code": e.code(), "message": e.message()});
                    let event = json!({"object_sid": o.sid, "object_type": o.object_type, "error": error});
                    out.push(notification(
                        "subscription_failed",
                        r.version,
                        Some(&r.correlation_id),
                        event,
                    ));
                }
            }
        }
        self.owners = self.subs.values().map(|s| s.object.owner.clone()).collect();
        out
    }

    async fn establish(
        &mut self,
        o: &Requested,
        version: u64,
        cid: &Value,
        out: &mut Vec<Frame>,
    ) -> Result<(), ChatError> {
        let object = SyncObject::parse(&o.sid)
            .filter(|s| s.kind.object_type() == o.object_type)
            .ok_or(ChatError::NotFound)?;
        views::authorize(&self.ctx, &object).await?;
        let from = match o.last_event_id {
            Some(id) => id,
            None => {
                self.ctx
                    .chat
                    .last_change(&self.ctx.token.service_sid)
                    .await?
                    .last_position
            }
        };
        // Read on until the log is exhausted or enough events for one round were found: an
        // `interrupted` round must advance the client's resume point (the id of the last event
        // it received), or it would ask for the same round again.
        let (mut events, mut cursor, mut complete) = (Vec::new(), from, false);
        while !complete && events.len() < REPLAY_LIMIT {
            let (more, through, done) = self.replay(&object, cursor).await?;
            events.extend(more);
            (cursor, complete) = (through, done);
        }
        for e in events {
            out.push(event_frame(&e, version, Some(cid)));
        }
        let status = if complete { "completed" } else { "interrupted" };
        let event = json!({"object_sid": object.sid(), "object_type": o.object_type,
                           "replay_status": status, "last_event_id": cursor});
        out.push(notification("subscription_established", version, Some(cid), event));
        if complete {
            self.subs.insert(
                o.sid.clone(),
                Sub {
                    object,
                    cursor,
                    version,
                },
            );
        }
        Ok(())
    }

    /// The events of `object` after position `from`: (events, the position read through,
    /// whether that is everything).
    async fn replay(&self, object: &SyncObject, from: i64) -> Result<(Vec<SyncEvent>, i64, bool), ChatError> {
        let service = &self.ctx.token.service_sid;
        let channel = [object.owner.clone()];
        let channels = matches!(
            object.kind,
            ObjectKind::Channel | ObjectKind::Messages | ObjectKind::Roster
        )
        .then_some(&channel[..]);
        match self
            .ctx
            .chat
            .changes_after(service, from, channels, REPLAY_LIMIT)
            .await?
        {
            Catchup::Changes(changes) => {
                let complete = changes.len() < REPLAY_LIMIT;
                let cursor = changes.last().map_or(from, |c| c.position);
                let relevant: Vec<Change> = changes.into_iter().filter(|c| may_change(object, c)).collect();
                let observed = self.ctx.chat.observe(relevant).await?;
                let mine = (object.kind == ObjectKind::UserChannels).then_some(object);
                let events = observed
                    .iter()
                    .flat_map(|o| events_for(o, mine))
                    .filter(|e| &e.object == object)
                    .collect();
                Ok((events, cursor, complete))
            }
            // What the client missed is gone from the log: a document is sent whole, as it is
            // now, at the head's id; other objects resume from the head (the SDK's next read of
            // them gives their current state).
            Catchup::Resync(head) => {
                let position = head.last_position;
                let mut events = Vec::new();
                if object.kind == ObjectKind::Channel {
                    let at = self.ctx.caller.service(service).channel(&object.owner);
                    let view = self.ctx.chat.channel_view(at).await?;
                    events.push(super::events::document_now(position, &view));
                }
                Ok((events, position, true))
            }
        }
    }

    /// The events of live changes for the objects subscribed.
    pub fn on_batch(&mut self, batch: &FeedBatch) -> Vec<Frame> {
        let mut out = Vec::new();
        for o in &batch.changes {
            if !self.concerns(o) {
                continue;
            }
            // One change may give several events for one object (a user's name and
            // attributes): the cursors move once the change is done.
            let mut touched = Vec::new();
            for e in events_for(o, self.mine()) {
                let sid = e.object.sid();
                let Some(sub) = self.subs.get(&sid) else {
                    continue;
                };
                if o.change.position <= sub.cursor {
                    continue;
                }
                out.push(event_frame(&e, sub.version, None));
                touched.push(sid);
            }
            for sid in touched {
                if let Some(sub) = self.subs.get_mut(&sid) {
                    sub.cursor = o.change.position;
                }
            }
        }
        out
    }

    /// The typing indicator `t`, for a socket of another member of its channel: one that
    /// follows the channel's messages or roster (which only members may read). The sender's
    /// own sockets are skipped.
    #[must_use]
    pub fn on_typing(&self, t: &Typing) -> Option<Frame> {
        let token = &self.ctx.token;
        if t.service_sid != token.service_sid || t.identity == token.identity {
            return None;
        }
        let follows = [ObjectKind::Messages, ObjectKind::Roster]
            .into_iter()
            .any(|k| self.subs.contains_key(&SyncObject::new(k, &t.channel_sid).sid()));
        let payload = json!({"channel_sid": t.channel_sid, "identity": t.identity, "typing_timeout": t.timeout_secs});
        follows.then(|| protocol::notification(&protocol::new_id(), TYPING_INDICATOR, &payload))
    }

    /// After a lag: every subscribed object's events after its cursor, from the database.
    pub async fn catch_up(&mut self) -> Vec<Frame> {
        let mut out = Vec::new();
        let sids: Vec<String> = self.subs.keys().cloned().collect();
        for sid in sids {
            let Some(sub) = self.subs.get(&sid) else { continue };
            let (object, cursor, version) = (sub.object.clone(), sub.cursor, sub.version);
            let mut at = cursor;
            for _ in 0..MAX_CATCH_UP_ROUNDS {
                match self.replay(&object, at).await {
                    Ok((events, through, complete)) => {
                        out.extend(events.iter().map(|e| event_frame(e, version, None)));
                        at = through;
                        if complete {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot catch a client up; it resumes on reconnect");
                        break;
                    }
                }
            }
            if let Some(sub) = self.subs.get_mut(&sid) {
                sub.cursor = at;
            }
        }
        out
    }

    /// The user's own channels map, when subscribed.
    fn mine(&self) -> Option<&SyncObject> {
        self.subs
            .values()
            .map(|s| &s.object)
            .find(|o| o.kind == ObjectKind::UserChannels)
    }

    /// Whether `o` may change an object subscribed (before rendering anything).
    fn concerns(&self, o: &Observed) -> bool {
        let c = &o.change;
        if c.kind == ChangeKind::ChannelRemoved && self.mine().is_some() {
            return true;
        }
        if c.channel_sid.as_ref().is_some_and(|ch| self.owners.contains(ch)) || self.owners.contains(&c.sid) {
            return true;
        }
        match &o.detail {
            crate::chat::Detail::Member { user_sid: Some(u), .. }
            | crate::chat::Detail::Invite { user_sid: Some(u), .. }
            | crate::chat::Detail::Removed { user_sid: Some(u), .. } => self.owners.contains(u),
            _ => false,
        }
    }
}

/// Whether change `c` can produce events for `object` (replay reads only those in full).
fn may_change(object: &SyncObject, c: &Change) -> bool {
    use ChangeKind as K;
    let in_channel = c.channel_sid.as_deref() == Some(object.owner.as_str());
    match object.kind {
        ObjectKind::Channel => {
            in_channel
                && matches!(
                    c.kind,
                    K::ChannelUpdated | K::ChannelRemoved | K::MessageAdded | K::MessageRemoved
                )
        }
        ObjectKind::Messages => {
            in_channel
                && matches!(
                    c.kind,
                    K::MessageAdded | K::MessageUpdated | K::MessageRemoved | K::ChannelRemoved
                )
        }
        ObjectKind::Roster => {
            in_channel
                && matches!(
                    c.kind,
                    K::MemberAdded | K::MemberUpdated | K::MemberRemoved | K::ChannelRemoved
                )
        }
        ObjectKind::UserChannels => matches!(
            c.kind,
            K::MemberAdded
                | K::MemberUpdated
                | K::MemberRemoved
                | K::InviteAdded
                | K::InviteRemoved
                | K::ChannelRemoved
        ),
        ObjectKind::UserInfo => c.sid == object.owner && matches!(c.kind, K::UserUpdated | K::UserReachability),
    }
}

/// A `twilio.sync.event` notification.
fn notification(event_type: &str, version: u64, cid: Option<&Value>, event: Value) -> Frame {
    let mut payload = json!({"event_type": event_type, "event_protocol_version": version, "event": event});
    if let Some(cid) = cid {
        payload["correlation_id"] = cid.clone();
    }
    protocol::notification(&protocol::new_id(), SYNC_EVENT, &payload)
}

fn event_frame(e: &SyncEvent, version: u64, cid: Option<&Value>) -> Frame {
    notification(e.event_type, version, cid, e.event.clone())
}
