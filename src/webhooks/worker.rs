//! The post-event delivery worker: claims due outbox rows, delivers them, records the outcome.
//!
//! Rows are claimed with a lease, so a process killed mid-delivery leaves rows that become due
//! again when the lease runs out: delivery is at least once. Rows of one ordering key (a
//! receiver URL and a channel, see `chat::events`) are claimed one at a time in order, so a
//! receiver gets a channel's events in order. Each delivery is recorded as soon as it ends and
//! the worker claims again without waiting for the others in flight, so a receiver that times
//! out holds back nothing but its own next row.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::TimeDelta;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::client::{Attempt, HookClient, NoAnswer};
use crate::chat::Chat;
use crate::store::OutboxItem;
use crate::time;

/// How long a claimed row is reserved for one delivery attempt.
const LEASE: TimeDelta = TimeDelta::seconds(30);
/// Most deliveries in flight at once.
const IN_FLIGHT: usize = 64;
/// Idle poll interval: how long a new delivery waits at most before its first attempt.
const POLL: Duration = Duration::from_millis(100);
/// Shortest gap between two claims. A finished delivery makes its key's next row due, so the
/// worker claims again then; under load that would be one claim query per delivery. 10 ms
/// bounds it to 100 a second while a receiver's next event still follows within 10 ms.
const CLAIM_GAP: Duration = Duration::from_millis(10);

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
    let mut in_flight = JoinSet::new();
    loop {
        let claimed_at = Instant::now();
        let free = IN_FLIGHT.saturating_sub(in_flight.len());
        for item in claim(&chat, free).await {
            let (chat, client, metrics, policy) = (chat.clone(), client.clone(), Arc::clone(&metrics), policy.clone());
            in_flight.spawn(async move {
                let attempt = deliver(&chat, &client, &item).await;
                record(&chat, &metrics, &policy, &item, attempt).await;
            });
        }
        // Claim again when a delivery ends (its successor may be due now) or new rows may
        // have arrived, whichever comes first.
        tokio::select! {
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {
                while in_flight.try_join_next().is_some() {}
            }
            () = tokio::time::sleep(POLL) => {}
        }
        tokio::time::sleep_until(claimed_at + CLAIM_GAP).await;
    }
}

/// Claims up to `limit` due rows (none when `limit` is 0).
async fn claim(chat: &Chat, limit: usize) -> Vec<OutboxItem> {
    let Ok(limit @ 1..) = u32::try_from(limit) else {
        return Vec::new();
    };
    let now = time::now();
    match chat.store().claim_outbox(now, now + LEASE, limit).await {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim webhook deliveries");
            Vec::new()
        }
    }
}

async fn deliver(chat: &Chat, client: &HookClient, item: &OutboxItem) -> Attempt {
    let row = &item.row;
    let token = match chat.auth_token(&row.account_sid).await {
        Ok(t) => t,
        Err(e) => return Attempt::NoAnswer(NoAnswer::Failed(format!("cannot sign: {e}"))),
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
