//! Pre-event webhooks: called synchronously, may veto or modify the action.

use async_trait::async_trait;
use serde_json::Value;

use super::client::{Attempt, HookClient};
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
        let mut last = Attempt::NoAnswer("not attempted".to_owned());
        for retry in 0..attempts {
            let mut params = request.params.clone();
            params.push(("RetryCount".to_owned(), retry.to_string()));
            last = self
                .client
                .send(&request.url, &request.method, &params, &request.auth_token, None)
                .await;
            match &last {
                Attempt::Delivered(body) => {
                    return Ok(serde_json::from_str::<Value>(body).ok().filter(Value::is_object));
                }
                // Twilio retries only on a timeout, 429, 503 or 504.
                Attempt::Status(s) if ![429, 503, 504].contains(s) => break,
                _ => tracing::warn!(url = %request.url, attempt = retry + 1, ?last, "pre-event webhook attempt failed"),
            }
        }
        match last {
            Attempt::Status(status) => Err(HookFailure::Rejected(status)),
            Attempt::NoAnswer(why) => Err(HookFailure::Unreachable(why)),
            Attempt::Delivered(_) => Ok(None),
        }
    }
}
