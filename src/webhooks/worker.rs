//! The post-event delivery worker: claims due outbox rows, delivers them, records the outcome.
//!
//! Rows are claimed with a lease, so a process killed mid-delivery leaves rows that become due
//! again when the lease runs out: delivery is at least once. Rows of one ordering key (a
//! channel) are claimed one at a time in order, so a channel's events arrive in order.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::TimeDelta;

use super::client::{Attempt, HookClient};
use crate::chat::Chat;
use crate::store::OutboxItem;
use crate::time;

/// How long a claimed row is reserved for one delivery attempt.
const LEASE: TimeDelta = TimeDelta::seconds(30);
/// Rows claimed per round.
const BATCH: u32 = 64;
/// Idle poll interval: how long a new delivery waits at most before its first attempt.
const POLL: Duration = Duration::from_millis(100);

/// Delivery counters, exported at `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Deliveries answered with 2xx.
    pub sent: AtomicU64,
    /// Attempts that failed and were scheduled again.
    pub retried: AtomicU64,
    /// Deliveries given up on.
    pub failed: AtomicU64,
}

/// Delivery policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Retriable failures keep being retried (with backoff) until an event is this old.
    pub max_age: TimeDelta,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_age: TimeDelta::hours(24),
        }
    }
}

/// Delay before the next attempt: the configured Twilio retries come quickly (1 s), later
/// attempts back off exponentially up to ten seconds, so a receiver that comes back after an
/// outage gets its backlog within seconds.
fn backoff(attempts: i64, max_attempts: i64) -> TimeDelta {
    if attempts < max_attempts {
        return TimeDelta::seconds(1);
    }
    let exp = u32::try_from((attempts - max_attempts).clamp(0, 6)).unwrap_or(6);
    TimeDelta::seconds((2_i64.pow(exp)).min(10))
}

/// Runs the worker until the process ends.
pub async fn run(chat: Chat, client: HookClient, metrics: Arc<Metrics>, policy: Policy) {
    loop {
        let claimed = deliver_due(&chat, &client, &metrics, &policy).await;
        if claimed == 0 {
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Claims and delivers one round of due rows; returns how many were claimed.
pub async fn deliver_due(chat: &Chat, client: &HookClient, metrics: &Metrics, policy: &Policy) -> usize {
    let now = time::now();
    let items = match chat.store().claim_outbox(now, now + LEASE, BATCH).await {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim webhook deliveries");
            return 0;
        }
    };
    let count = items.len();
    let tasks: Vec<_> = items
        .into_iter()
        .map(|item| async move { (deliver(chat, client, &item).await, item) })
        .collect();
    for (attempt, item) in futures_util::future::join_all(tasks).await {
        record(chat, metrics, policy, &item, attempt).await;
    }
    count
}

async fn deliver(chat: &Chat, client: &HookClient, item: &OutboxItem) -> Attempt {
    let row = &item.row;
    let token = match chat.auth_token(&row.account_sid).await {
        Ok(t) => t,
        Err(e) => return Attempt::NoAnswer(format!("cannot sign: {e}")),
    };
    let mut params = row.params.clone();
    params.push(("RetryCount".to_owned(), item.attempts.to_string()));
    client.send(&row.url, &row.method, &params, &token, Some(&row.id)).await
}

async fn record(chat: &Chat, metrics: &Metrics, policy: &Policy, item: &OutboxItem, attempt: Attempt) {
    let row = &item.row;
    let attempts = item.attempts + 1;
    let store = chat.store();
    let result = if matches!(attempt, Attempt::Delivered(_)) {
        metrics.sent.fetch_add(1, Ordering::Relaxed);
        store.complete_outbox(&row.id).await
    } else {
        let error = format!("{attempt:?}");
        let young = time::now() - row.date_created < policy.max_age;
        if attempt.retriable() && young {
            metrics.retried.fetch_add(1, Ordering::Relaxed);
            let next = time::now() + backoff(attempts, row.max_attempts);
            tracing::warn!(delivery = %row.id, event = %row.event_type, url = %row.url, attempts, %error, "webhook delivery failed; will retry");
            store.retry_outbox(&row.id, attempts, next, &error).await
        } else {
            metrics.failed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(delivery = %row.id, event = %row.event_type, url = %row.url, attempts, %error, "webhook delivery failed; giving up");
            store.fail_outbox(&row.id, attempts, &error).await
        }
    };
    if let Err(e) = result {
        tracing::warn!(delivery = %row.id, error = %e, "cannot record a webhook delivery outcome");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_quick_for_configured_retries_then_exponential() {
        assert_eq!(backoff(1, 3), TimeDelta::seconds(1));
        assert_eq!(backoff(3, 3), TimeDelta::seconds(1));
        assert_eq!(backoff(4, 3), TimeDelta::seconds(2));
        assert_eq!(backoff(20, 3), TimeDelta::seconds(10));
    }
}
