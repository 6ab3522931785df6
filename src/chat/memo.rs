//! A process-local cache that can never answer differently from the database.
//!
//! A plain "read the database, then insert into the map" cache has a race: a request that read
//! the old row before a rename or delete committed can insert it *after* the invalidation ran,
//! and the stale entry then answers for good. [`Memo`] closes it by construction: every
//! invalidation bumps a generation, a filler takes the generation *before* it reads the
//! database, and its insert is refused when the generation moved meanwhile. Writers invalidate
//! *after* their change commits, so a reader either read the database after the commit (fresh)
//! or holds an older generation (refused).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;

/// A generation-guarded map; see the module documentation.
pub(crate) struct Memo<K, V> {
    inner: RwLock<Inner<K, V>>,
    capacity: usize,
}

struct Inner<K, V> {
    generation: u64,
    map: HashMap<K, V>,
}

/// The generation a filler read before going to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    /// An empty cache that starts over once it holds `capacity` entries.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            inner: RwLock::new(Inner {
                generation: 0,
                map: HashMap::new(),
            }),
            capacity,
        }
    }

    /// The cached value of `key`, if any.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.inner.read().ok().and_then(|m| m.map.get(key).cloned())
    }

    /// Takes a ticket; call before reading the database for [`Memo::fill`].
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(self.inner.read().map_or(u64::MAX, |m| m.generation))
    }

    /// Caches `key` → `value` read from the database after `ticket` was taken, unless an
    /// invalidation ran since (then the value may be stale and is dropped).
    pub(crate) fn fill(&self, ticket: Ticket, key: K, value: V) {
        if let Ok(mut m) = self.inner.write()
            && m.generation == ticket.0
        {
            if m.map.len() >= self.capacity {
                m.map.clear();
            }
            m.map.insert(key, value);
        }
    }

    /// Drops every entry for which `stale` says so, and refuses fills of readers in flight.
    /// Call after the change that makes them stale has committed.
    pub(crate) fn invalidate(&self, mut stale: impl FnMut(&K, &V) -> bool) {
        if let Ok(mut m) = self.inner.write() {
            m.generation = m.generation.wrapping_add(1);
            m.map.retain(|k, v| !stale(k, v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fill_that_raced_an_invalidation_is_refused() {
        let memo: Memo<String, u32> = Memo::new(10);
        let before = memo.ticket();
        // A writer commits and invalidates while the reader is between its read and its fill.
        memo.invalidate(|_, _| true);
        memo.fill(before, "n".into(), 1);
        assert_eq!(memo.get("n"), None);
        let after = memo.ticket();
        memo.fill(after, "n".into(), 2);
        assert_eq!(memo.get("n"), Some(2));
    }

    #[test]
    fn invalidate_drops_only_what_is_stale() {
        let memo: Memo<String, u32> = Memo::new(10);
        let t = memo.ticket();
        memo.fill(t, "a".into(), 1);
        memo.fill(t, "b".into(), 2);
        memo.invalidate(|_, v| *v == 1);
        assert_eq!(memo.get("a"), None);
        assert_eq!(memo.get("b"), Some(2));
    }

    #[test]
    fn a_full_cache_starts_over() {
        let memo: Memo<u32, u32> = Memo::new(2);
        let t = memo.ticket();
        for i in 0..3 {
            memo.fill(t, i, i);
        }
        assert_eq!(memo.get(&0), None);
        assert_eq!(memo.get(&2), Some(2));
    }
}
