//! Conversation timers (Conversations API `Timers.Inactive` / `Timers.Closed`, and the
//! account's `DefaultInactiveTimer` / `DefaultClosedTimer`), as Twilio runs them:
//!
//! - a timer is an ISO-8601 duration (`PT1M`, `PT10M`, `P1D`); the inactive one is at least a
//!   minute (50375), the closed one ten minutes (50376), unless the server lowers both
//!   ([`TimerLimits`]); a duration that is not one is 50379 / 50380;
//! - the inactive timer moves an active conversation to `inactive`, the closed one any
//!   conversation to `closed` (final); each new message restarts both, and makes an inactive
//!   conversation active again;
//! - conversations created without timers take the account's defaults.
//!
//! The instants live in the channel's row (`store::timers`). Every node sweeps every
//! [`SWEEP_EVERY`]: each due conversation changes state through the path every channel update
//! takes (post-event webhooks, change log, bus event), with a conditional store write so that
//! a timer fires once however many nodes (or restarts) see it due.

use std::time::Duration;

use super::events::Event;
use super::payload::Payload;
use super::write::Where;
use super::{Access, Chat, ChatError, Scope};
use crate::store::{Channel, ConversationTimers};
use crate::time;

/// How often each node looks for due timers.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Due conversations fired per store read; a sweep reads again while batches come back full.
const SWEEP_BATCH: u32 = 100;

/// Batches one sweep fires at most, so that a backlog (after a long stop) never starves the
/// rest of the node; the next sweep continues.
const SWEEP_MAX_BATCHES: usize = 50;

/// The shortest timers accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerLimits {
    /// Shortest `Timers.Inactive` (Twilio: one minute).
    pub min_inactive: Duration,
    /// Shortest `Timers.Closed` (Twilio: ten minutes).
    pub min_closed: Duration,
}

impl Default for TimerLimits {
    fn default() -> Self {
        Self {
            min_inactive: Duration::from_secs(60),
            min_closed: Duration::from_secs(600),
        }
    }
}

impl TimerLimits {
    /// Both minima set to `min` (tests use seconds).
    #[must_use]
    pub fn lowered_to(min: Duration) -> Self {
        Self {
            min_inactive: min,
            min_closed: min,
        }
    }
}

/// `Timers.Inactive` and `Timers.Closed` as given: `None` leaves a timer as it is (on create:
/// the account's default), an empty value removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimersInput {
    /// `Timers.Inactive`
    pub inactive: Option<String>,
    /// `Timers.Closed`
    pub closed: Option<String>,
}

/// Reads an ISO-8601 duration of days and time (`P1D`, `PT10M`, `P1DT2H30M`, `PT1.5S`) into
/// milliseconds; `None` when it is not one.
#[must_use]
pub fn parse_duration(text: &str) -> Option<i64> {
    let upper = text.trim().to_ascii_uppercase();
    let rest = upper.strip_prefix('P')?;
    let (date, clock) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut ms: i64 = 0;
    let mut any = false;
    if !date.is_empty() {
        let days = date.strip_suffix('D')?;
        ms = add(ms, whole(days)?, 86_400_000)?;
        any = true;
    }
    if let Some(clock) = clock {
        if clock.is_empty() {
            return None;
        }
        let mut rest = clock;
        for (unit, scale) in [('H', 3_600_000), ('M', 60_000)] {
            if let Some(at) = rest.find(unit) {
                ms = add(ms, whole(&rest[..at])?, scale)?;
                rest = &rest[at + 1..];
                any = true;
            }
        }
        if let Some(seconds) = rest.strip_suffix('S') {
            let (int, frac) = seconds.split_once(['.', ',']).unwrap_or((seconds, ""));
            if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            ms = add(ms, whole(int)?, 1000)?;
            let millis: String = frac.chars().chain("000".chars()).take(3).collect();
            ms = ms.checked_add(millis.parse::<i64>().ok()?)?;
            any = true;
        } else if !rest.is_empty() {
            return None;
        }
    }
    any.then_some(ms)
}

/// A run of ASCII digits.
fn whole(digits: &str) -> Option<i64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn add(ms: i64, n: i64, scale: i64) -> Option<i64> {
    ms.checked_add(n.checked_mul(scale)?)
}

/// Milliseconds of `d`, saturated.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Chat {
    /// Checks one timer: `None` for an empty value (no timer), else its milliseconds.
    ///
    /// # Errors
    /// 50379 / 50380 for a value that is not a duration, 50375 / 50376 below the minimum.
    pub(super) fn timer_ms(&self, closed: bool, value: &str) -> Result<Option<i64>, ChatError> {
        if value.is_empty() {
            return Ok(None);
        }
        let (format_code, min_code, min) = if closed {
            (50380, 50376, self.timer_limits.min_closed)
        } else {
            (50379, 50375, self.timer_limits.min_inactive)
        };
        let ms = parse_duration(value).ok_or_else(|| ChatError::titled(format_code))?;
        if ms < millis(min) {
            return Err(ChatError::titled(min_code));
        }
        Ok(Some(ms))
    }

    /// The timers of a new channel in `state`: those asked for, and (for conversations, where
    /// `input` is given) the account's defaults for the others.
    ///
    /// # Errors
    /// As [`Chat::timer_ms`]; store failures reading the account's defaults.
    pub(super) async fn new_timers(
        &self,
        account_sid: &str,
        input: Option<&TimersInput>,
        state: &str,
    ) -> Result<ConversationTimers, ChatError> {
        let Some(input) = input else {
            return Ok(ConversationTimers::default());
        };
        let mut inactive = input.inactive.clone();
        let mut closed = input.closed.clone();
        if (inactive.is_none() || closed.is_none())
            && let Some(account) = self.store.conversations_account(account_sid).await?
        {
            inactive = inactive.or(account.settings.default_inactive_timer);
            closed = closed.or(account.settings.default_closed_timer);
        }
        let mut timers = ConversationTimers::default();
        if let Some(v) = &inactive {
            timers.inactive_ms = self.timer_ms(false, v)?;
        }
        if let Some(v) = &closed {
            timers.closed_ms = self.timer_ms(true, v)?;
        }
        Ok(settle(timers.restarted(time::now_ms()), state))
    }

    /// Applies an update to a channel's timers: a duration given restarts that timer, and the
    /// state change from `before` to `channel.state` applies (closing removes every timer,
    /// going inactive stops the inactive one, becoming active again restarts both).
    ///
    /// # Errors
    /// As [`Chat::timer_ms`].
    pub(super) fn update_timers(
        &self,
        channel: &mut Channel,
        before: &str,
        input: Option<&TimersInput>,
    ) -> Result<(), ChatError> {
        let now = time::now_ms();
        let mut t = channel.timers;
        if let Some(v) = input.and_then(|i| i.inactive.as_ref()) {
            t.inactive_ms = self.timer_ms(false, v)?;
            t.inactive_at = t.inactive_ms.map(|d| now.saturating_add(d));
        }
        if let Some(v) = input.and_then(|i| i.closed.as_ref()) {
            t.closed_ms = self.timer_ms(true, v)?;
            t.closed_at = t.closed_ms.map(|d| now.saturating_add(d));
        }
        if before != "active" && channel.state == "active" {
            t = t.restarted(now);
        }
        channel.timers = settle(t, &channel.state);
        Ok(())
    }

    /// Starts this node's timer sweep (call once per server); failures are logged and retried
    /// on the next round.
    pub fn spawn_timers(&self) {
        let chat = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                chat.sweep_timers().await;
            }
        });
    }

    /// One sweep: fires every timer due now. Returns how many this node fired.
    pub async fn sweep_timers(&self) -> usize {
        let mut fired = 0;
        for _ in 0..SWEEP_MAX_BATCHES {
            let now = time::now_ms();
            let due = match self.store.due_timers(now, SWEEP_BATCH).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read due conversation timers; retrying");
                    return fired;
                }
            };
            let full = due.len() >= SWEEP_BATCH as usize;
            for channel in due {
                let sid = channel.sid.clone();
                match self.fire_timer(channel, now).await {
                    Ok(()) => fired += 1,
                    // Fired, restarted or deleted meanwhile (by another node, or a message).
                    Err(ChatError::NotFound) => {}
                    Err(e) => tracing::warn!(channel = %sid, error = %e, "cannot fire a conversation timer; retrying"),
                }
            }
            if !full {
                break;
            }
        }
        fired
    }

    /// Fires the due timer of `stored` (read at `now`): the closed one if due, else the
    /// inactive one.
    async fn fire_timer(&self, stored: Channel, now: i64) -> Result<(), ChatError> {
        let mut next = stored.clone();
        if stored.timers.closed_at.is_some_and(|at| at <= now) {
            next.state = "closed".to_owned();
            next.timers = ConversationTimers::default();
        } else {
            if stored.state == "active" {
                "inactive".clone_into(&mut next.state);
            }
            next.timers.inactive_at = None;
        }
        next.date_updated = time::now();
        // Twilio reports a timer's change of state to the post-event webhooks like any other.
        self.set_state(&stored, &next, true).await
    }

    /// A message to the inactive conversation `channel` makes it active again, with its timers
    /// restarted: a change of its own (the operator's, so that no pre-event hook can veto it),
    /// with post-event webhooks when the message's own change fires them. Used where the
    /// channel was read; otherwise the store does it in the message's transaction.
    ///
    /// # Errors
    /// Store failures. A conversation changed meanwhile is left as it is.
    pub(super) async fn reactivate(&self, channel: &Channel, webhooks: bool) -> Result<(), ChatError> {
        let mut next = channel.clone();
        "active".clone_into(&mut next.state);
        next.timers = channel.timers.restarted(time::now_ms());
        next.date_updated = time::now();
        match self.set_state(channel, &next, webhooks).await {
            Err(ChatError::NotFound) => Ok(()),
            other => other,
        }
    }

    /// Moves `stored` to `next` through the write path of channel updates, if the stored row
    /// still has `stored`'s state and due instant. [`ChatError::NotFound`] when it has not.
    async fn set_state(&self, stored: &Channel, next: &Channel, webhooks: bool) -> Result<(), ChatError> {
        let service = self.service(&stored.account_sid, &stored.service_sid).await?;
        let scope = Scope {
            service,
            access: Access::Operator { webhooks },
            channel_webhooks: true,
        };
        let change = self.change(&scope, Where::Channel(stored), Event::ChannelUpdate, Ok(()))?;
        let (approved, _) = change.pre(|| Payload::channel_state(next, &stored.state)).await?;
        approved
            .commit(
                &next.sid,
                || Payload::channel_state(next, &stored.state),
                None,
                async |outbox| {
                    let due = stored.timers.due_at();
                    if self
                        .store
                        .set_conversation_state(next, &stored.state, due, outbox)
                        .await?
                    {
                        Ok(())
                    } else {
                        Err(ChatError::NotFound)
                    }
                },
            )
            .await
    }
}

/// `timers` as they run in `state`: none once closed, no inactive one unless active.
fn settle(timers: ConversationTimers, state: &str) -> ConversationTimers {
    match state {
        "closed" => ConversationTimers::default(),
        "active" => timers,
        _ => ConversationTimers {
            inactive_at: None,
            ..timers
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_iso_8601_days_and_time() {
        assert_eq!(parse_duration("PT1M"), Some(60_000));
        assert_eq!(parse_duration("PT10M"), Some(600_000));
        assert_eq!(parse_duration("P1D"), Some(86_400_000));
        assert_eq!(parse_duration("P1DT2H30M5S"), Some(95_405_000));
        assert_eq!(parse_duration("PT2S"), Some(2_000));
        assert_eq!(parse_duration("PT1.5S"), Some(1_500));
        assert_eq!(parse_duration("pt0s"), Some(0));
        for bad in [
            "", "P", "PT", "10M", "PT10", "PTM", "P1H", "PT1M1H", "P1W", "PT-1M", "P1DT", "xPT1M",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn closing_removes_timers_and_inactive_stops_the_inactive_one() {
        let t = ConversationTimers {
            inactive_ms: Some(60_000),
            closed_ms: Some(600_000),
            ..ConversationTimers::default()
        }
        .restarted(1_000);
        let active = settle(t, "active");
        assert_eq!((active.inactive_at, active.closed_at), (Some(61_000), Some(601_000)));
        assert_eq!(active.due_at(), Some(61_000));
        let inactive = settle(t, "inactive");
        assert_eq!((inactive.inactive_at, inactive.closed_at), (None, Some(601_000)));
        assert_eq!(inactive.due_at(), Some(601_000));
        assert_eq!(settle(t, "closed"), ConversationTimers::default());
    }
}
