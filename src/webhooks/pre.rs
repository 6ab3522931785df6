//! Pre-event webhooks: called synchronously, may veto or modify the action.
//!
//! What the tenant sees is deliberately coarse. A receiver that answered non-2xx rejected the
//! action ([`HookFailure::Rejected`]); everything else that leaves no usable answer — a refused
//! target, a closed port, a port that does not speak HTTP, TLS failure, a timeout, an answer
//! over [`super::client::MAX_ANSWER_BYTES`] — is one [`HookFailure::NoAnswer`] without
//! details, so webhooks cannot be used to tell open ports from closed ones. The real reason is
//! logged for the operator.

use async_trait::async_trait;
use serde_json::Value;

use super::client::{Attempt, HookClient, NoAnswer};
use crate::chat::{HookFailure, HookRequest, PreEventHook};

/// The real pre-event hook caller.
pub struct HttpPreHook {
    client: HookClient,
}

impl HttpPreHook {
    /// Wraps a client.
    #[must_use]
    pub fn new(client: HookClient) -> Self {
        Self { client }
    }
}

#[async_trait]
impl PreEventHook for HttpPreHook {
    async fn call(&self, request: HookRequest) -> Result<Option<Value>, HookFailure> {
        let attempts = 1 + request.retry_count.max(0);
        let mut last = Attempt::NoAnswer(NoAnswer::Failed("not attempted".to_owned()));
        for retry in 0..attempts {
            let mut params = request.params.clone();
            params.push(("RetryCount".to_owned(), retry.to_string()));
            last = self
                .client
                .send(&request.url, &request.method, &params, &request.auth_token, None)
                .await;
            match &last {
                // A 2xx with JSON modifies; any other readable body approves as is.
                Attempt::Delivered(Some(body)) => {
                    return Ok(serde_json::from_str::<Value>(body).ok().filter(Value::is_object));
                }
                // Twilio retries only on a timeout, 429, 503 or 504; a refused target and an
                // oversized answer would come out the same again.
                Attempt::Status(s) if ![429, 503, 504].contains(s) => break,
                Attempt::Delivered(None) | Attempt::NoAnswer(NoAnswer::Refused(_)) => break,
                _ => {}
            }
            tracing::warn!(url = %request.url, attempt = retry + 1, ?last, "pre-event webhook attempt failed");
        }
        match last {
            Attempt::Status(status) => Err(HookFailure::Rejected(status)),
            Attempt::Delivered(None) | Attempt::NoAnswer(_) => {
                tracing::warn!(url = %request.url, ?last, "pre-event webhook gave no usable answer");
                Err(HookFailure::NoAnswer)
            }
            Attempt::Delivered(Some(_)) => Ok(None),
        }
    }
}
