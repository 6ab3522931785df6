//! Repeated commands: the SDKs send every command (POST, DELETE) with a fresh
//! `X-Twilio-Mutation-Id`, and a command whose id was already answered is answered again
//! without running it twice (`CLIENT_PROTOCOL.md` §4.1, "Banter choice").
//!
//! The memory is per process and in memory: `(account, identity, mutation id)` → the answer
//! to give a repeat, for [`TTL`], at most [`CAPACITY`] entries and [`MAX_BYTES`] of answers
//! (oldest forgotten first). The
//! answer to a repeated create (a 201 whose body has a `url`) is a 202
//! `{"resource_url": url}`, which the SDK follows with a GET; to any other command it is the
//! first answer again. Only successful answers are remembered, so a repeat of a refused
//! command runs again (and is refused again, or succeeds if the cause went away). Two copies
//! of one command in flight at the same time both run: the SDKs never send them so.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::super::tunnel::{TunnelRequest, TunnelResponse};

/// How long an answer is remembered: the SDKs do not resend a command, so this only needs to
/// outlast a client's own retry logic or a proxy's replay; 10 minutes is the protocol's figure.
pub(super) const TTL: Duration = Duration::from_secs(600);

/// Answers remembered at most: bounds memory (an entry is a few hundred bytes) against a
/// client that sends commands as fast as it can.
pub(super) const CAPACITY: usize = 10_000;

/// Bytes of remembered answers at most (bodies as JSON text, plus keys): an update's answer may
/// hold a 32 KiB message body, so the entry count alone would allow hundreds of MB.
pub(super) const MAX_BYTES: usize = 16 * 1024 * 1024;

/// The header carrying the mutation id.
const HEADER: &str = "X-Twilio-Mutation-Id";

/// Who sent a mutation id: (account, identity, mutation id).
pub(super) type Key = (String, String, String);

/// The memory of answered commands.
pub(super) struct Mutations {
    ttl: Duration,
    capacity: usize,
    max_bytes: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Key → when, the answer, and its size in bytes.
    answers: HashMap<Key, (Instant, TunnelResponse, usize)>,
    /// Keys in the order they were remembered (may hold keys already forgotten).
    order: VecDeque<(Key, Instant)>,
    /// The sum of the sizes in `answers`.
    bytes: usize,
}

impl Mutations {
    /// A memory of `capacity` answers and `max_bytes` bytes, each remembered for `ttl`.
    pub(super) fn new(capacity: usize, max_bytes: usize, ttl: Duration) -> Self {
        Self {
            ttl,
            capacity,
            max_bytes,
            state: Mutex::new(State::default()),
        }
    }

    /// The answer for a repeat of `key`, if its first run succeeded less than the TTL ago.
    pub(super) fn recall(&self, key: &Key) -> Option<TunnelResponse> {
        self.recall_at(key, Instant::now())
    }

    /// Remembers the answer a repeat of `key` gets, after its first run answered `first`.
    pub(super) fn remember(&self, key: Key, first: &TunnelResponse) {
        self.remember_at(key, first, Instant::now());
    }

    fn recall_at(&self, key: &Key, now: Instant) -> Option<TunnelResponse> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (at, answer, _) = state.answers.get(key)?;
        (now.duration_since(*at) < self.ttl).then(|| answer.clone())
    }

    fn remember_at(&self, key: Key, first: &TunnelResponse, now: Instant) {
        if !(200..300).contains(&first.status) {
            return;
        }
        let answer = repeat_answer(first);
        let size = key.0.len() + key.1.len() + key.2.len() + answer.body.as_ref().map_or(0, |b| b.to_string().len());
        if size > self.max_bytes {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let State { answers, order, bytes } = &mut *state;
        while let Some((k, at)) = order.front() {
            let expired = now.duration_since(*at) >= self.ttl;
            if !expired && answers.len() < self.capacity && *bytes + size <= self.max_bytes {
                break;
            }
            if answers.get(k).is_some_and(|(t, _, _)| t == at)
                && let Some((_, _, gone)) = answers.remove(k)
            {
                *bytes -= gone;
            }
            order.pop_front();
        }
        order.push_back((key.clone(), now));
        if let Some((_, _, replaced)) = answers.insert(key, (now, answer, size)) {
            *bytes -= replaced;
        }
        *bytes += size;
    }
}

/// What a repeat is told: 202 with the resource's URL for a create, the first answer otherwise.
fn repeat_answer(first: &TunnelResponse) -> TunnelResponse {
    let url = first.body.as_ref().and_then(|b| b.get("url")).and_then(Value::as_str);
    match url {
        Some(url) if first.status == 201 => TunnelResponse::json(202, json!({"resource_url": url})),
        _ => first.clone(),
    }
}

/// The request's mutation id (header names compare case-insensitively).
pub(super) fn mutation_id(req: &TunnelRequest) -> Option<&str> {
    req.headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case(HEADER) && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> Key {
        ("AC1".to_owned(), "alice".to_owned(), id.to_owned())
    }

    #[test]
    fn a_create_is_recalled_as_202_with_its_url_and_other_answers_as_they_were() {
        let m = Mutations::new(10, MAX_BYTES, TTL);
        let created = TunnelResponse::json(201, json!({"sid": "CH1", "url": "https://x/CH1"}));
        m.remember(key("1"), &created);
        let again = m.recall(&key("1")).unwrap();
        assert_eq!(
            (again.status, again.body),
            (202, Some(json!({"resource_url": "https://x/CH1"})))
        );

        let updated = TunnelResponse::json(200, json!({"sid": "CH1"}));
        m.remember(key("2"), &updated);
        assert_eq!(m.recall(&key("2")), Some(updated));

        m.remember(key("3"), &TunnelResponse::json(403, json!({"code": 50107})));
        assert_eq!(m.recall(&key("3")), None, "refusals are not remembered");
        let bob = ("AC1".to_owned(), "bob".to_owned(), "1".to_owned());
        assert_eq!(m.recall(&bob), None, "ids are per identity");
    }

    #[test]
    fn answers_expire_and_the_oldest_is_forgotten_past_capacity() {
        let m = Mutations::new(2, MAX_BYTES, Duration::from_secs(60));
        let t0 = Instant::now();
        let ok = TunnelResponse::json(200, json!({}));
        m.remember_at(key("1"), &ok, t0);
        m.remember_at(key("2"), &ok, t0);
        m.remember_at(key("3"), &ok, t0);
        assert_eq!(m.recall_at(&key("1"), t0), None);
        assert!(m.recall_at(&key("2"), t0).is_some());
        assert!(m.recall_at(&key("3"), t0).is_some());
        let later = t0 + Duration::from_secs(61);
        assert_eq!(m.recall_at(&key("3"), later), None);
        m.remember_at(key("4"), &ok, later);
        let state = m.state.lock().unwrap();
        assert_eq!(state.answers.len(), 1, "expired entries are dropped on insert");
    }

    #[test]
    fn the_oldest_answers_are_forgotten_past_the_byte_budget() {
        let m = Mutations::new(100, 200, TTL);
        let big = TunnelResponse::json(200, json!({"body": "x".repeat(80)}));
        for id in ["1", "2", "3"] {
            m.remember(key(id), &big);
        }
        assert_eq!(m.recall(&key("1")), None);
        assert!(m.recall(&key("2")).is_some() && m.recall(&key("3")).is_some());
        let state = m.state.lock().unwrap();
        assert!(state.bytes <= 200, "{}", state.bytes);
        assert_eq!(state.bytes, state.answers.values().map(|(_, _, n)| n).sum::<usize>());
        drop(state);
        let huge = TunnelResponse::json(200, json!({"body": "x".repeat(300)}));
        m.remember(key("4"), &huge);
        assert_eq!(
            m.recall(&key("4")),
            None,
            "an answer above the whole budget is not kept"
        );
    }
}
