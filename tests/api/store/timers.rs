//! Conversation timers in the store, on both handles of one database: a due timer fires once
//! however many handles try, and an update that read the row before it fired never re-arms it.

use banter::store::{Channel, ConversationTimers};
use banter::time;

use super::Pair;
use super::pair;

/// A stored conversation whose one-minute inactive timer fell due a second before `now`, with a
/// closed timer of `closed_ms` (running since `now - 100 s`) if any.
async fn due_conversation(p: &Pair, now: i64, closed_ms: Option<i64>) -> Channel {
    let mut ch = p.channel(None);
    ch.channel_type = "private".to_owned();
    ch.timers = ConversationTimers {
        inactive_ms: Some(60_000),
        closed_ms,
        inactive_at: Some(now - 1_000),
        closed_at: closed_ms.map(|ms| now - 100_000 + ms),
    };
    p.a.insert_channel(&ch, &[]).await.unwrap();
    ch
}

#[tokio::test]
async fn store_a_due_timer_fires_once_across_two_handles_and_a_message_restarts_it() {
    // Arrange: a conversation whose inactive timer fell due a second ago.
    let p = pair().await;
    let now = time::now_ms();
    let ch = due_conversation(&p, now, Some(600_000)).await;
    let due_a = p.a.due_timers(now, 10).await.unwrap();
    let due_b = p.b.due_timers(now, 10).await.unwrap();
    assert_eq!(due_a.iter().map(|c| &c.sid).collect::<Vec<_>>(), [&ch.sid]);
    assert_eq!(due_a, due_b);
    // Act: both handles fire it at once, each several times.
    let mut next = ch.clone();
    next.state = "inactive".to_owned();
    next.timers.inactive_at = None;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (store, next) = (p.handle(i), next.clone());
        let due = ch.timers.due_at();
        tasks.push(tokio::spawn(async move {
            store.set_conversation_state(&next, "active", due, &[]).await
        }));
    }
    let mut fired = 0;
    for t in tasks {
        fired += usize::from(t.await.unwrap().unwrap());
    }
    // Assert: once; nothing is due any more; a message restarts the timers and reactivates.
    assert_eq!(fired, 1);
    assert!(p.b.due_timers(time::now_ms(), 10).await.unwrap().is_empty());
    let stored = p.b.channel(&p.service_sid, &ch.sid).await.unwrap().unwrap();
    assert_eq!((stored.state.as_str(), stored.timers.inactive_at), ("inactive", None));
    let before = time::now_ms();
    p.b.append_message(&p.message(&ch, "back"), &[]).await.unwrap().unwrap();
    let stored = p.a.channel(&p.service_sid, &ch.sid).await.unwrap().unwrap();
    assert_eq!(stored.state, "active");
    assert!(
        stored.timers.inactive_at.unwrap() >= before + 60_000,
        "{:?}",
        stored.timers
    );
    assert!(
        stored.timers.closed_at.unwrap() >= before + 600_000,
        "{:?}",
        stored.timers
    );
}

#[tokio::test]
async fn store_an_update_that_read_the_row_before_a_timer_fired_does_not_rearm_it() {
    // Arrange: a conversation whose inactive timer is due; an update reads it, then the timer
    // fires (through the other handle) before the update writes.
    let p = pair().await;
    let ch = due_conversation(&p, time::now_ms(), None).await;
    let read = p.a.channel(&p.service_sid, &ch.sid).await.unwrap().unwrap();
    let mut fired = read.clone();
    fired.state = "inactive".to_owned();
    fired.timers.inactive_at = None;
    assert!(
        p.b.set_conversation_state(&fired, "active", read.timers.due_at(), &[])
            .await
            .unwrap()
    );
    // Act: the stale update renames the conversation.
    let mut renamed = read.clone();
    renamed.friendly_name = Some("renamed".to_owned());
    assert!(p.a.update_channel(&renamed, &read, &[]).await.unwrap());
    // Assert: the rename applied, the timer's change stands and nothing is due again.
    let stored = p.b.channel(&p.service_sid, &ch.sid).await.unwrap().unwrap();
    assert_eq!(stored.friendly_name.as_deref(), Some("renamed"));
    assert_eq!((stored.state.as_str(), stored.timers.inactive_at), ("inactive", None));
    assert!(p.a.due_timers(time::now_ms(), 10).await.unwrap().is_empty());
    // An update that read the current row writes its state as usual.
    let mut closed = stored.clone();
    closed.state = "closed".to_owned();
    assert!(p.b.update_channel(&closed, &stored, &[]).await.unwrap());
    assert_eq!(
        p.a.channel(&p.service_sid, &ch.sid).await.unwrap().unwrap().state,
        "closed"
    );
}
