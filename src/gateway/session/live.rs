//! What reaches a session from outside its socket: Sync subscription work and live changes
//! (from its service's feed), typing indicators, and revocations of credentials.

use axum::extract::ws::Message;

use super::{Flow, Session, WS_POLICY};
use crate::gateway::protocol::Status;
use crate::gateway::sync::subscriptions::{Subscriptions, Wake};

/// The next wake-up of the socket's subscriptions, or never before `init`.
pub(super) async fn next_sync(sync: &mut Option<Subscriptions>) -> Wake {
    match sync {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

/// The next revocation, or never before `init`.
pub(super) async fn revoked(
    r: &mut Option<tokio::sync::watch::Receiver<i64>>,
) -> Result<(), tokio::sync::watch::error::RecvError> {
    match r {
        Some(r) => r.changed().await,
        None => std::future::pending().await,
    }
}

impl Session {
    /// A key or account was revoked somewhere: a token that no longer verifies ends the
    /// session with twilsock's `close` 401 / 20101 (the SDK does not reconnect by itself).
    pub(super) async fn on_revocation(&mut self) -> Flow {
        let Some(jwt) = self.jwt.clone() else {
            return Flow::Continue;
        };
        match self.chat.verify_token(&jwt).await {
            Err(e) if matches!(e.status(), 401 | 403 | 404) => {
                let status = Status::refused(401, 20101, format!("Access Token revoked: {}", e.message()));
                self.close(Some(status), WS_POLICY, "token revoked");
                Flow::Stop
            }
            Ok(_) | Err(_) => Flow::Continue,
        }
    }

    /// Answers subscription batches and forwards live events. Replays wait for room in the
    /// queue (bounded by the write timeout); live events do not (a client that does not read
    /// is dropped and resumes from the database when it reconnects).
    pub(super) async fn on_sync(&mut self, wake: Wake) -> Flow {
        let Some(sync) = self.sync.as_mut() else {
            return Flow::Continue;
        };
        let (frames, wait) = match wake {
            Wake::Request(r) => (sync.on_request(r).await, true),
            Wake::Batch(b) => (sync.on_batch(&b), false),
            Wake::Lagged => (sync.catch_up().await, true),
            Wake::Typing(t) => (sync.on_typing(&t).into_iter().collect(), false),
        };
        for frame in frames {
            let flow = if wait {
                let msg = Message::Binary(frame.encode().into());
                match self.out.send(msg).await {
                    Ok(()) => Flow::Continue,
                    Err(_) => Flow::Stop,
                }
            } else {
                self.send(frame)
            };
            if let Flow::Stop = flow {
                return Flow::Stop;
            }
        }
        Flow::Continue
    }
}
