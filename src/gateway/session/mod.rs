//! One client socket, from `init` to close.
//!
//! Two halves run side by side: the reader (this state machine) and a writer that drains a
//! bounded queue of outgoing WebSocket messages. Nothing is written to the socket except
//! through that queue, so a client that stops reading fills it and is disconnected, and a
//! write that stalls past the write timeout ends the socket as well.
//!
//! States: before `init` only `init` (or `close`) is accepted, within the `init` deadline.
//! After a successful `init` the socket serves `message` (tunnelled HTTP, answered
//! concurrently up to the in-flight bound), `update` (token refresh, same identity only),
//! `ping`, the notification-context calls, and the client's acks; the server pings, warns
//! before the token expires and closes when it has. What reaches it from outside the socket
//! (subscriptions and live changes, typing, revocations) is handled in `live`.

mod live;

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::{FuturesUnordered, SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::time::Instant;

use super::Gateway;
use super::frame::Frame;
use super::protocol::{self, Status};
use super::sync::subscriptions::{self, Mailbox, Subscriptions};
use super::tunnel::{TunnelContext, TunnelRequest};
use crate::chat::{CLOCK_SKEW_SECS, Caller, Chat, ChatError, TokenIdentity};
use crate::conn::ConnectionHold;
use crate::store::SocketPresence;
use live::{next_sync, revoked};

/// Capabilities this server confirms when a client asks for them.
const CAPABILITIES: &[&str] = &["client_update", "account_descriptor"];

/// How long before expiry the client is told to fetch a new token (Twilio's SDK docs: three
/// minutes).
const ABOUT_TO_EXPIRE: Duration = Duration::from_secs(180);

/// The earliest a token's expiry warning goes out after it was presented.
const FIRST_WARNING_DELAY: Duration = Duration::from_secs(5);

/// Unanswered pings in a row after which the socket is closed.
const MAX_MISSED_PINGS: u32 = 2;

/// WebSocket close codes (RFC 6455).
const WS_NORMAL: u16 = 1000;
const WS_GOING_AWAY: u16 = 1001;
const WS_PROTOCOL_ERROR: u16 = 1002;
const WS_UNSUPPORTED_DATA: u16 = 1003;
const WS_POLICY: u16 = 1008;
const WS_TOO_BIG: u16 = 1009;

/// What a new socket starts with.
pub(super) struct Start {
    pub(super) chat: Chat,
    pub(super) base_url: String,
    pub(super) gateway: Gateway,
    /// The connection's `--max-connections` permit, released when the socket ends.
    pub(super) hold: Option<ConnectionHold>,
}

type Reply = Pin<Box<dyn Future<Output = Frame> + Send>>;

/// Whether the reader goes on.
enum Flow {
    Continue,
    Stop,
}

/// The timers a session waits on.
#[derive(Debug, Clone, Copy)]
enum Timer {
    InitDeadline,
    Ping,
    AboutToExpire,
    Expired,
}

struct Session {
    chat: Chat,
    base_url: String,
    gateway: Gateway,
    out: mpsc::Sender<Message>,
    /// Set by a successful `init`.
    ctx: Option<Arc<TunnelContext>>,
    confirmed: Vec<&'static str>,
    in_flight: FuturesUnordered<Reply>,
    init_deadline: Instant,
    next_ping: Option<Instant>,
    /// The id of the last ping, until the client acks it.
    awaiting_ack: Option<String>,
    missed_pings: u32,
    warn_at: Option<Instant>,
    expires_at: Option<Instant>,
    /// Sync subscriptions, from `init` on.
    sync: Option<Subscriptions>,
    mailbox: Option<Mailbox>,
    /// The socket's Access Token as the client sent it (checked again after revocations).
    jwt: Option<String>,
    /// Moves when a key or account is revoked on any node.
    revocations: Option<tokio::sync::watch::Receiver<i64>>,
    /// How this socket counts towards its user being online, from `init` on.
    presence: Option<SocketPresence>,
}

/// Serves one upgraded socket until either side ends it.
pub(super) async fn run(socket: WebSocket, start: Start) {
    let settings = start.gateway.settings().clone();
    let (sink, stream) = socket.split();
    let (out, queue) = mpsc::channel(settings.outbound_queue.max(1));
    let session = Session {
        chat: start.chat,
        base_url: start.base_url,
        gateway: start.gateway,
        out,
        ctx: None,
        confirmed: Vec::new(),
        in_flight: FuturesUnordered::new(),
        init_deadline: Instant::now() + settings.init_timeout,
        next_ping: None,
        awaiting_ack: None,
        missed_pings: 0,
        warn_at: None,
        expires_at: None,
        sync: None,
        mailbox: None,
        jwt: None,
        revocations: None,
        presence: None,
    };
    let chat = session.chat.clone();
    let (presence, ()) = tokio::join!(session.read(stream), write(sink, queue, settings.write_timeout));
    if let Some(p) = presence {
        chat.socket_closed(&p).await;
    }
    drop(start.hold);
}

/// Writes queued messages until the queue closes, a close frame went out, or a write fails or
/// stalls past `timeout`.
async fn write(mut sink: SplitSink<WebSocket, Message>, mut queue: mpsc::Receiver<Message>, timeout: Duration) {
    while let Some(msg) = queue.recv().await {
        let closing = matches!(msg, Message::Close(_));
        match tokio::time::timeout(timeout, sink.send(msg)).await {
            Ok(Ok(())) if closing => return,
            Ok(Ok(())) => {}
            Ok(Err(e)) => return tracing::debug!(error = %e, "client socket write failed"),
            Err(_) => return tracing::debug!("client socket write timed out: the client does not read"),
        }
    }
    let _ = tokio::time::timeout(timeout, sink.close()).await;
}

/// Verifies the frame's `token`; a refusal as the transport status to reply with. (A free
/// function: the session itself is not `Sync`, so no borrow of it may be held across an
/// await.)
async fn verify(chat: &Chat, frame: &Frame) -> Result<TokenIdentity, Status> {
    let Some(jwt) = frame.str_field("token") else {
        return Err(Status::refused(
            401,
            20101,
            "Invalid Access Token: the frame has no token".to_owned(),
        ));
    };
    chat.verify_token(jwt)
        .await
        .map_err(|e: ChatError| Status::refused(e.status(), e.code(), e.message()))
}

/// Sleeps until `at`, or forever.
async fn until(at: Option<(Instant, Timer)>) -> Timer {
    match at {
        Some((at, timer)) => {
            tokio::time::sleep_until(at).await;
            timer
        }
        None => std::future::pending().await,
    }
}

impl Session {
    /// Serves the socket until it ends; returns its presence, to be closed.
    async fn read(mut self, mut stream: SplitStream<WebSocket>) -> Option<SocketPresence> {
        let mut stop = self.gateway.stop();
        let max_in_flight = self.gateway.settings().max_in_flight.max(1);
        loop {
            let timer = self.next_timer();
            let flow = tokio::select! {
                biased;
                () = self.out.closed() => Flow::Stop,
                changed = stop.changed() => {
                    if changed.is_ok() && !*stop.borrow() {
                        continue;
                    }
                    self.close(Some(Status::offload("the server is shutting down")), WS_GOING_AWAY, "shutdown");
                    Flow::Stop
                }
                Some(reply) = self.in_flight.next(), if !self.in_flight.is_empty() => self.send(reply),
                timer = until(timer) => self.on_timer(timer),
                wake = next_sync(&mut self.sync) => self.on_sync(wake).await,
                Ok(()) = revoked(&mut self.revocations) => self.on_revocation().await,
                msg = stream.next(), if self.in_flight.len() < max_in_flight => match msg {
                    Some(Ok(msg)) => self.on_message(msg).await,
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "client socket read failed");
                        self.close(Some(Status::not_acceptable("unreadable WebSocket message")), WS_TOO_BIG, "unreadable");
                        Flow::Stop
                    }
                    None => Flow::Stop,
                },
            };
            if let Flow::Stop = flow {
                return self.presence.take();
            }
        }
    }

    /// The earliest timer due.
    fn next_timer(&self) -> Option<(Instant, Timer)> {
        if self.ctx.is_none() {
            return Some((self.init_deadline, Timer::InitDeadline));
        }
        [
            self.next_ping.map(|t| (t, Timer::Ping)),
            self.warn_at.map(|t| (t, Timer::AboutToExpire)),
            self.expires_at.map(|t| (t, Timer::Expired)),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|(t, _)| *t)
    }

    fn on_timer(&mut self, timer: Timer) -> Flow {
        match timer {
            Timer::InitDeadline => {
                self.close(None, WS_POLICY, "init timeout");
                Flow::Stop
            }
            Timer::Ping => {
                if self.awaiting_ack.is_some() {
                    self.missed_pings += 1;
                }
                if self.missed_pings >= MAX_MISSED_PINGS {
                    tracing::debug!("client left {MAX_MISSED_PINGS} pings unanswered");
                    self.close(None, WS_POLICY, "ping timeout");
                    return Flow::Stop;
                }
                let id = protocol::new_id();
                self.awaiting_ack = Some(id.clone());
                self.next_ping = Some(Instant::now() + self.gateway.settings().ping_interval);
                self.send(protocol::ping(&id))
            }
            Timer::AboutToExpire => {
                self.warn_at = None;
                let left = self
                    .expires_at
                    .map_or(0, |t| t.saturating_duration_since(Instant::now()).as_millis());
                let left = u64::try_from(left).unwrap_or(u64::MAX);
                self.send(protocol::token_about_to_expire(&protocol::new_id(), left))
            }
            Timer::Expired => {
                self.close(Some(Status::token_expired()), WS_NORMAL, "token expired");
                Flow::Stop
            }
        }
    }

    async fn on_message(&mut self, msg: Message) -> Flow {
        let bytes = match msg {
            Message::Binary(bytes) => bytes,
            Message::Text(_) => {
                let status = Status::not_acceptable("twilsock frames travel in binary WebSocket messages");
                self.close(Some(status), WS_UNSUPPORTED_DATA, "binary frames only");
                return Flow::Stop;
            }
            Message::Ping(_) | Message::Pong(_) => return Flow::Continue,
            Message::Close(_) => return Flow::Stop,
        };
        let frame = match Frame::parse(&bytes) {
            Ok(frame) => frame,
            Err(e) => {
                let code = match e {
                    super::frame::FrameError::TooLarge(_) => WS_TOO_BIG,
                    _ => WS_PROTOCOL_ERROR,
                };
                self.close(Some(Status::not_acceptable(e.to_string())), code, "unreadable frame");
                return Flow::Stop;
            }
        };
        let (Some(method), Some(id)) = (frame.method(), frame.id()) else {
            let status = Status::not_acceptable("a frame needs a string id and method");
            self.close(Some(status), WS_PROTOCOL_ERROR, "unreadable frame");
            return Flow::Stop;
        };
        let (method, id) = (method.to_owned(), id.to_owned());
        let Some(ctx) = self.ctx.clone() else {
            return match method.as_str() {
                "init" => self.on_init(&id, &frame).await,
                "close" => Flow::Stop,
                _ => {
                    let status = Status::not_acceptable("the first frame must be init");
                    self.close(Some(status), WS_PROTOCOL_ERROR, "expected init");
                    Flow::Stop
                }
            };
        };
        match method.as_str() {
            "message" => self.on_tunnelled(&ctx, &id, &frame),
            "update" => self.on_update(&ctx, &id, &frame).await,
            "reply" => {
                if self.awaiting_ack.as_deref() == Some(id.as_str()) {
                    self.awaiting_ack = None;
                    self.missed_pings = 0;
                }
                Flow::Continue
            }
            "close" => Flow::Stop,
            "telemetry.v1" => Flow::Continue,
            "ping" | "put_notification_ctx" | "delete_notification_ctx" => {
                self.send(protocol::reply(&id, &Status::ok()))
            }
            "init" => self.send(protocol::reply(
                &id,
                &Status::bad_request("this socket is already initialised"),
            )),
            other => {
                let status = Status::bad_request(format!("unsupported method {other}"));
                self.send(protocol::reply(&id, &status))
            }
        }
    }

    /// `init`: verify the token, resume or issue the endpoint, reply, start the timers.
    async fn on_init(&mut self, id: &str, frame: &Frame) -> Flow {
        let token = match verify(&self.chat, frame).await {
            Ok(token) => token,
            Err(status) => {
                let _ = self.send(protocol::reply(id, &status));
                self.close(None, WS_POLICY, "init refused");
                return Flow::Stop;
            }
        };
        let endpoint = self.chat.resume_endpoint(&token, frame.str_field("continuation_token"));
        let requested: Vec<&str> = frame
            .header
            .get("capabilities")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        self.confirmed = CAPABILITIES.iter().copied().filter(|c| requested.contains(c)).collect();
        let status = match endpoint.reissue_reason {
            None => json!({"reissued": false, "reissue_message": "endpoint resumed"}),
            Some(reason) => {
                json!({"reissued": true, "reissue_reason": reason.name(), "reissue_message": "new endpoint"})
            }
        };
        let mut fields = Map::new();
        fields.insert(
            "continuation_token".to_owned(),
            Value::from(endpoint.continuation_token),
        );
        fields.insert("continuation_token_status".to_owned(), status);
        fields.insert("capabilities".to_owned(), json!(self.confirmed));
        fields.insert(
            "account_descriptor".to_owned(),
            json!({"account_sid": token.account_sid, "identity": token.identity,
                   "instance_sids": {"ip_messaging": token.service_sid}}),
        );
        tracing::debug!(identity = %token.identity, endpoint = %endpoint.endpoint_id, "client socket initialised");
        match self.chat.socket_opened(&token).await {
            Ok(presence) => self.presence = presence,
            Err(e) => tracing::warn!(error = %e, "cannot count a client socket as online"),
        }
        self.start(token, frame.str_field("token").unwrap_or_default());
        self.next_ping = Some(Instant::now() + self.gateway.settings().ping_interval);
        self.send(protocol::reply_with(id, &Status::ok(), fields))
    }

    /// `update`: a new token for the same account, service and identity; another identity's
    /// token is refused (403 / 51232) and closes the socket, an invalid one is refused (401)
    /// and the socket keeps its current token.
    async fn on_update(&mut self, ctx: &TunnelContext, id: &str, frame: &Frame) -> Flow {
        let token = match verify(&self.chat, frame).await {
            Ok(token) => token,
            Err(status) => return self.send(protocol::reply(id, &status)),
        };
        let current = &ctx.token;
        if (&token.account_sid, &token.service_sid, &token.identity)
            != (&current.account_sid, &current.service_sid, &current.identity)
        {
            // The update is answered 403 / 51232 and the socket closed, without Twilio's
            // twilsock `close` 308: the JS client takes any 308 as "reconnect" and would come
            // back with the other identity's token; after the 403 it stays `denied` and its
            // `updateToken` rejects.
            let _ = self.send(protocol::reply(id, &Status::update_forbidden()));
            self.close(None, WS_POLICY, "update with another identity");
            return Flow::Stop;
        }
        self.start(token, frame.str_field("token").unwrap_or_default());
        self.send(protocol::reply(id, &Status::ok()))
    }

    /// Makes `token` (verified from `jwt`) the socket's and schedules its expiry warnings.
    fn start(&mut self, token: TokenIdentity, jwt: &str) {
        self.jwt = Some(jwt.to_owned());
        if self.revocations.is_none() {
            self.revocations = Some(self.chat.revocations());
        }
        let now_unix = crate::time::now().timestamp();
        // Tokens are honoured up to the clock skew past `exp` (as `verify_token` does).
        let left = u64::try_from(token.expires_at + CLOCK_SKEW_SECS - now_unix).unwrap_or(0);
        let expires_at = Instant::now() + Duration::from_secs(left);
        self.expires_at = Some(expires_at);
        // A token already inside the warning window is warned about a few seconds later, not
        // at once: the SDKs hand the warning to the app only once their start-up has resolved.
        let earliest = (Instant::now() + FIRST_WARNING_DELAY).min(expires_at);
        self.warn_at = self.confirmed.contains(&"client_update").then(|| {
            expires_at
                .checked_sub(ABOUT_TO_EXPIRE)
                .map_or(earliest, |t| t.max(earliest))
        });
        let (mailbox, inbox) = match &self.mailbox {
            Some(m) => (m.clone(), None),
            None => {
                let (tx, rx) = subscriptions::mailbox();
                self.mailbox = Some(tx.clone());
                (tx, Some(rx))
            }
        };
        let ctx = Arc::new(TunnelContext {
            chat: self.chat.clone(),
            caller: Caller::user(token.clone()),
            token: Arc::new(token),
            base_url: self.base_url.clone(),
            subscriptions: Some(mailbox),
        });
        match (&mut self.sync, inbox) {
            (Some(sync), _) => sync.set_context(Arc::clone(&ctx)),
            (None, Some(inbox)) => self.sync = Some(Subscriptions::new(Arc::clone(&ctx), inbox)),
            (None, None) => {}
        }
        self.ctx = Some(ctx);
    }

    /// `message`: route the tunnelled request; its reply is sent when it completes.
    fn on_tunnelled(&mut self, ctx: &Arc<TunnelContext>, id: &str, frame: &Frame) -> Flow {
        let req = match TunnelRequest::from_frame(frame) {
            Ok(req) => req,
            Err(why) => return self.send(protocol::reply(id, &Status::bad_request(why))),
        };
        let (ctx, gateway, id) = (Arc::clone(ctx), self.gateway.clone(), id.to_owned());
        self.in_flight.push(Box::pin(async move {
            let resp = gateway.routes().dispatch(&ctx, &req).await;
            protocol::http_reply(&id, resp.status, &resp.headers, resp.body.as_ref())
        }));
        Flow::Continue
    }

    /// Queues a frame; a full queue means the client does not read, and ends the socket.
    fn send(&self, frame: Frame) -> Flow {
        match self.out.try_send(Message::Binary(frame.encode().into())) {
            Ok(()) => Flow::Continue,
            Err(TrySendError::Full(_)) => {
                tracing::debug!("client socket queue full: the client does not read");
                Flow::Stop
            }
            Err(TrySendError::Closed(_)) => Flow::Stop,
        }
    }

    /// Queues a twilsock `close` (when given) and the WebSocket close frame.
    fn close(&self, status: Option<Status>, ws_code: u16, reason: &'static str) {
        if let Some(status) = status {
            let _ = self.send(protocol::close(&protocol::new_id(), &status));
        }
        let frame = CloseFrame {
            code: ws_code,
            reason: Utf8Bytes::from_static(reason),
        };
        let _ = self.out.try_send(Message::Close(Some(frame)));
    }
}
