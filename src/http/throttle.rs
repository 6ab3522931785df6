//! Throttling failed authentication, per client address and per credential SID.
//!
//! Failures are counted in fixed windows (one minute by default):
//! - **Per address.** Once an address has failed `per_address` times in a window, every attempt
//!   from it, with right or wrong credentials, gets `429` until the window ends; guessing from
//!   one address stops there.
//! - **Per SID** (the Account SID or API Key SID tried). Once a SID has had `per_sid` failures
//!   in a window, attempts on it get `429` from every address that has itself failed in that
//!   window. An address that has not failed (the real user's) still gets in with the right
//!   secret, so an attacker cannot lock the owner out, while each further attacking address
//!   gets a single guess per window.
//!
//! Only attempts that present a credential count. Memory is bounded: at most
//! [`MAX_TRACKED`] addresses and as many SIDs are tracked; expired windows are dropped once per
//! window, and when a table is full of live windows new keys go untracked until it drains.
//! Behind a proxy every client has the proxy's address, so the per-address limit then applies
//! to all of them together.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Most addresses (and, separately, SIDs) tracked at once.
pub const MAX_TRACKED: usize = 65_536;

/// Limits on failed authentication; a limit of 0 turns that check off.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleConfig {
    /// Failures one client address may have per window.
    pub per_address: u32,
    /// Failures one Account SID or API Key SID may have per window.
    pub per_sid: u32,
    /// Length of a window.
    pub window: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            per_address: 60,
            per_sid: 100,
            window: Duration::from_secs(60),
        }
    }
}

/// Failure counts per address and per SID.
pub struct AuthThrottle {
    config: ThrottleConfig,
    addresses: Mutex<Windows<IpAddr>>,
    sids: Mutex<Windows<String>>,
    /// Entries in both tables: lets the common case (no recent failure) skip the locks.
    tracked: AtomicUsize,
}

struct Windows<K> {
    counts: HashMap<K, Count>,
    next_sweep: Instant,
}

#[derive(Clone, Copy)]
struct Count {
    start: Instant,
    failures: u32,
}

impl<K: Hash + Eq> Windows<K> {
    fn new() -> Self {
        Self {
            counts: HashMap::new(),
            next_sweep: Instant::now(),
        }
    }

    /// Failures of `key` in its current window, with the time until that window ends.
    fn current<Q>(&self, key: &Q, now: Instant, window: Duration) -> Option<(u32, Duration)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let count = self.counts.get(key)?;
        let left = window.checked_sub(now.saturating_duration_since(count.start))?;
        (!left.is_zero()).then_some((count.failures, left))
    }

    /// Drops expired windows, at most once per window; returns how many entries were removed.
    fn sweep(&mut self, now: Instant, window: Duration) -> usize {
        if now < self.next_sweep {
            return 0;
        }
        self.next_sweep = now + window;
        let before = self.counts.len();
        self.counts
            .retain(|_, c| now.saturating_duration_since(c.start) < window);
        before - self.counts.len()
    }

    /// Counts one failure; returns how many entries were added (0 or 1).
    fn fail(&mut self, key: K, now: Instant, window: Duration) -> usize {
        if let Some(count) = self.counts.get_mut(&key) {
            if now.saturating_duration_since(count.start) >= window {
                *count = Count {
                    start: now,
                    failures: 0,
                };
            }
            count.failures = count.failures.saturating_add(1);
            return 0;
        }
        if self.counts.len() >= MAX_TRACKED {
            return 0;
        }
        self.counts.insert(
            key,
            Count {
                start: now,
                failures: 1,
            },
        );
        1
    }
}

impl AuthThrottle {
    /// A throttle with these limits.
    #[must_use]
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            config,
            addresses: Mutex::new(Windows::new()),
            sids: Mutex::new(Windows::new()),
            tracked: AtomicUsize::new(0),
        }
    }

    /// `Err(retry_after)` when an attempt by `address` on `sid` must be refused.
    pub fn check(&self, address: Option<IpAddr>, sid: &str) -> Result<(), Duration> {
        if self.tracked.load(Ordering::Relaxed) == 0 {
            return Ok(());
        }
        let (now, window) = (Instant::now(), self.config.window);
        let address_failures = match (address, self.addresses.lock()) {
            (Some(ip), Ok(mut table)) => {
                self.forget(table.sweep(now, window));
                table.current(&ip, now, window)
            }
            _ => None,
        };
        if let Some((failures, left)) = address_failures
            && self.config.per_address > 0
            && failures >= self.config.per_address
        {
            return Err(left);
        }
        if self.config.per_sid == 0 {
            return Ok(());
        }
        let Ok(mut table) = self.sids.lock() else {
            return Ok(());
        };
        self.forget(table.sweep(now, window));
        match table.current(sid, now, window) {
            // The address is unknown (no peer address) or has failed itself in this window.
            Some((failures, left))
                if failures >= self.config.per_sid && (address.is_none() || address_failures.is_some()) =>
            {
                Err(left)
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed attempt by `address` on `sid` (`sid` only when it is a well-formed
    /// Account or API Key SID, so random usernames cannot fill the table).
    pub fn failed(&self, address: Option<IpAddr>, sid: &str) {
        let (now, window) = (Instant::now(), self.config.window);
        let mut added = 0;
        if let (Some(ip), Ok(mut table)) = (address, self.addresses.lock()) {
            self.forget(table.sweep(now, window));
            added += table.fail(ip, now, window);
        }
        if (crate::sid::is_sid(crate::sid::ACCOUNT, sid) || crate::sid::is_sid(crate::sid::API_KEY, sid))
            && let Ok(mut table) = self.sids.lock()
        {
            self.forget(table.sweep(now, window));
            added += table.fail(sid.to_owned(), now, window);
        }
        self.tracked.fetch_add(added, Ordering::Relaxed);
    }

    fn forget(&self, removed: usize) {
        if removed > 0 {
            self.tracked.fetch_sub(removed, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "AC0123456789abcdef0123456789abcdef";

    fn throttle(per_address: u32, per_sid: u32) -> AuthThrottle {
        AuthThrottle::new(ThrottleConfig {
            per_address,
            per_sid,
            window: Duration::from_secs(60),
        })
    }

    #[test]
    fn an_address_is_refused_after_its_limit_until_the_window_ends() {
        let t = throttle(3, 0);
        let (a, b) = (Some(IpAddr::from([10, 0, 0, 1])), Some(IpAddr::from([10, 0, 0, 2])));
        for _ in 0..3 {
            assert!(t.check(a, SID).is_ok());
            t.failed(a, SID);
        }
        let left = t.check(a, SID).unwrap_err();
        assert!(left > Duration::from_secs(50) && left <= Duration::from_secs(60));
        assert!(t.check(b, SID).is_ok());
    }

    #[test]
    fn a_sid_is_refused_only_to_addresses_that_failed() {
        let t = throttle(0, 2);
        let (a, b) = (Some(IpAddr::from([10, 0, 0, 1])), Some(IpAddr::from([10, 0, 0, 2])));
        t.failed(a, SID);
        t.failed(a, SID);
        assert!(t.check(a, SID).is_err());
        assert!(t.check(b, SID).is_ok());
        assert!(t.check(a, "AC00000000000000000000000000000000").is_ok());
        t.failed(b, SID);
        assert!(t.check(b, SID).is_err());
    }

    #[test]
    fn malformed_usernames_are_not_tracked_and_windows_expire() {
        let t = AuthThrottle::new(ThrottleConfig {
            per_address: 1,
            per_sid: 1,
            window: Duration::from_millis(20),
        });
        t.failed(None, "not-a-sid");
        assert_eq!(t.tracked.load(Ordering::Relaxed), 0);
        let a = Some(IpAddr::from([10, 0, 0, 1]));
        t.failed(a, SID);
        assert!(t.check(a, SID).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(t.check(a, SID).is_ok());
        assert_eq!(t.tracked.load(Ordering::Relaxed), 0);
    }
}
