//! Resumable change positions: every observable change through the REST API logs exactly one
//! change, positions are dense and in commit order per service, a reader resumes from any
//! position (only its channels plus service-level changes), pruned positions ask for a full
//! resynchronisation, and concurrent writers on two handles (two nodes) never produce a
//! position that a reader which already read past it could miss.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use banter::chat::{Catchup, Chat, NewChannel, NewMessage};
use banter::store::{Change, ChangeKind};
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{TestApp, TestDatabase, created, test_store};

/// Every change of `service` after `after` in `channels` (and service-level ones), read in
/// pages of `page`.
async fn read_all(chat: &Chat, service: &str, after: i64, channels: &[String], page: usize) -> Vec<Change> {
    let mut out: Vec<Change> = Vec::new();
    let mut at = after;
    loop {
        let Catchup::Changes(batch) = chat.changes_after(service, at, Some(channels), page).await.unwrap() else {
            panic!("unexpected resync at {at}");
        };
        let Some(last) = batch.last() else { return out };
        at = last.position;
        out.extend(batch);
    }
}

fn kinds(changes: &[Change]) -> Vec<(&'static str, String)> {
    changes.iter().map(|c| (c.kind.as_str(), c.sid.clone())).collect()
}

fn sid(v: &Value) -> String {
    v["sid"].as_str().unwrap().to_owned()
}

async fn send(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Value {
    created(app.post(path, form).send().await.unwrap()).await
}

async fn update(app: &TestApp, path: &str, form: &[(&str, &str)]) {
    let r = app.post(path, form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
}

async fn remove(app: &TestApp, path: &str) {
    let r = app.delete(path).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{path}");
}

#[tokio::test]
async fn changes_every_observable_change_logs_exactly_one_change_at_dense_positions() {
    // Arrange
    let app = TestApp::spawn().await;
    let service = sid(&app.service().await);
    let sp = format!("/v2/Services/{service}");
    // Act: one REST call per kind of change.
    let alice = sid(&send(&app, &format!("{sp}/Users"), &[("Identity", "alice")]).await);
    update(&app, &format!("{sp}/Users/{alice}"), &[("FriendlyName", "Alice")]).await;
    let ch = sid(&send(&app, &format!("{sp}/Channels"), &[("FriendlyName", "c")]).await);
    let cp = format!("{sp}/Channels/{ch}");
    update(&app, &cp, &[("FriendlyName", "renamed")]).await;
    let bob_user = sid(&send(&app, &format!("{sp}/Users"), &[("Identity", "bob")]).await);
    let invite = sid(&send(&app, &format!("{cp}/Invites"), &[("Identity", "bob")]).await);
    let bob = sid(&send(&app, &format!("{cp}/Members"), &[("Identity", "bob")]).await);
    update(&app, &format!("{cp}/Members/{bob}"), &[("Attributes", "{\"a\":1}")]).await;
    let msg = sid(&send(&app, &format!("{cp}/Messages"), &[("Body", "hi")]).await);
    update(&app, &format!("{cp}/Messages/{msg}"), &[("Body", "edited")]).await;
    remove(&app, &format!("{cp}/Messages/{msg}")).await;
    update(
        &app,
        &format!("{sp}/Users/bob/Channels/{ch}"),
        &[("NotificationLevel", "muted")],
    )
    .await;
    let carol = sid(&send(&app, &format!("{cp}/Invites"), &[("Identity", "alice")]).await);
    remove(&app, &format!("{cp}/Invites/{carol}")).await;
    remove(&app, &format!("{cp}/Members/{bob}")).await;
    remove(&app, &format!("{sp}/Users/{alice}")).await;
    // Joining creates a missing user; a channel with members and messages goes as one change.
    let dave = sid(&send(&app, &format!("{cp}/Members"), &[("Identity", "dave")]).await);
    let dave_user = app.get_json(&format!("{sp}/Users/dave")).await["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let last_msg = sid(&send(&app, &format!("{cp}/Messages"), &[("Body", "bye")]).await);
    remove(&app, &cp).await;
    // Assert
    let chat = app.operator().await;
    let log = read_all(&chat, &service, 0, std::slice::from_ref(&ch), 1000).await;
    let expected: Vec<(&str, String)> = vec![
        ("user_added", alice.clone()),
        ("user_updated", alice.clone()),
        ("channel_added", ch.clone()),
        ("channel_updated", ch.clone()),
        ("user_added", bob_user),
        ("invite_added", invite.clone()),
        ("member_added", bob.clone()),
        ("invite_removed", invite),
        ("member_updated", bob.clone()),
        ("message_added", msg.clone()),
        ("message_updated", msg.clone()),
        ("message_removed", msg),
        ("member_updated", bob.clone()),
        ("invite_added", carol.clone()),
        ("invite_removed", carol),
        ("member_removed", bob),
        ("user_removed", alice),
        ("user_added", dave_user),
        ("member_added", dave),
        ("message_added", last_msg),
        ("channel_removed", ch.clone()),
    ];
    assert_eq!(kinds(&log), expected);
    let positions: Vec<i64> = log.iter().map(|c| c.position).collect();
    assert_eq!(
        positions,
        (1..=i64::try_from(expected.len()).unwrap()).collect::<Vec<_>>()
    );
    for c in &log {
        assert_eq!(c.service_sid, service);
        let service_level = c.kind.as_str().starts_with("user_");
        assert_eq!(c.channel_sid.is_none(), service_level, "{:?}", c.kind);
    }
    let head = chat.last_change(&service).await.unwrap();
    assert_eq!(
        (head.last_position, head.pruned_through),
        (positions[positions.len() - 1], 0)
    );
    // Every kind but reachability flips, which sockets and push registrations make
    // (gateway_presence.rs).
    assert_eq!(
        ChangeKind::ALL.len() - 1,
        expected.iter().map(|(k, _)| *k).collect::<BTreeSet<_>>().len()
    );
}

#[tokio::test]
async fn changes_removals_log_the_index_or_identity_their_deleted_record_held() {
    // Arrange: users, two channels, three messages.
    let app = TestApp::spawn().await;
    let service = sid(&app.service().await);
    let sp = format!("/v2/Services/{service}");
    for identity in ["alice", "bob", "carol", "dave"] {
        send(&app, &format!("{sp}/Users"), &[("Identity", identity)]).await;
    }
    let (ch, other) = (
        sid(&send(&app, &format!("{sp}/Channels"), &[]).await),
        sid(&send(&app, &format!("{sp}/Channels"), &[]).await),
    );
    let cp = format!("{sp}/Channels/{ch}");
    let mut messages = Vec::new();
    for body in ["0", "1", "2"] {
        messages.push(send(&app, &format!("{cp}/Messages"), &[("Body", body)]).await);
    }
    let alice = sid(&send(&app, &format!("{cp}/Members"), &[("Identity", "alice")]).await);
    let alice_invite = sid(&send(
        &app,
        &format!("{sp}/Channels/{other}/Invites"),
        &[("Identity", "alice")],
    )
    .await);
    let start = app.operator().await.last_change(&service).await.unwrap().last_position;
    // Act
    update(&app, &format!("{cp}/Messages/{}", sid(&messages[2])), &[("Body", "2!")]).await;
    remove(&app, &format!("{cp}/Messages/{}", sid(&messages[1]))).await;
    let bob = sid(&send(&app, &format!("{cp}/Members"), &[("Identity", "bob")]).await);
    remove(&app, &format!("{cp}/Members/{bob}")).await;
    let carol = sid(&send(&app, &format!("{cp}/Invites"), &[("Identity", "carol")]).await);
    remove(&app, &format!("{cp}/Invites/{carol}")).await;
    let dave_invite = sid(&send(&app, &format!("{cp}/Invites"), &[("Identity", "dave")]).await);
    let dave = sid(&send(&app, &format!("{cp}/Members"), &[("Identity", "dave")]).await);
    let alice_user = sid(&app.get_json(&format!("{sp}/Users/alice")).await);
    remove(&app, &format!("{sp}/Users/alice")).await;
    // Assert
    let chat = app.operator().await;
    let log = read_all(&chat, &service, start, &[ch, other], 1000).await;
    let got: Vec<(&str, &str, Option<&str>)> = log
        .iter()
        .map(|c| (c.kind.as_str(), c.sid.as_str(), c.detail.as_deref()))
        .collect();
    let index = messages[1]["index"].to_string();
    let expected: Vec<(&str, &str, Option<&str>)> = vec![
        ("message_updated", messages[2]["sid"].as_str().unwrap(), None),
        ("message_removed", messages[1]["sid"].as_str().unwrap(), Some(&index)),
        ("member_added", &bob, None),
        ("member_removed", &bob, Some("bob")),
        ("invite_added", &carol, None),
        ("invite_removed", &carol, Some("carol")),
        ("invite_added", &dave_invite, None),
        ("member_added", &dave, None),
        ("invite_removed", &dave_invite, Some("dave")),
        ("member_removed", &alice, Some("alice")),
        ("invite_removed", &alice_invite, Some("alice")),
        ("user_removed", &alice_user, None),
    ];
    assert_eq!(got, expected);
    assert_eq!(index, "1");
}

#[tokio::test]
async fn changes_resume_after_a_position_returns_its_channels_and_service_level_changes_only() {
    // Arrange: two channels with messages, and a user in between.
    let app = TestApp::spawn().await;
    let service = sid(&app.service().await);
    let sp = format!("/v2/Services/{service}");
    let a = sid(&send(&app, &format!("{sp}/Channels"), &[]).await);
    let b = sid(&send(&app, &format!("{sp}/Channels"), &[]).await);
    let chat = app.operator().await;
    let resume_at = chat.last_change(&service).await.unwrap().last_position;
    let mut in_a = Vec::new();
    for i in 0..5 {
        in_a.push(sid(&send(
            &app,
            &format!("{sp}/Channels/{a}/Messages"),
            &[("Body", "a")],
        )
        .await));
        send(&app, &format!("{sp}/Channels/{b}/Messages"), &[("Body", "b")]).await;
        if i == 2 {
            in_a.push(sid(&send(&app, &format!("{sp}/Users"), &[("Identity", "u")]).await));
        }
    }
    // Act
    let one_read = read_all(&chat, &service, resume_at, std::slice::from_ref(&a), 1000).await;
    let paged = read_all(&chat, &service, resume_at, std::slice::from_ref(&a), 2).await;
    let nothing_after = read_all(&chat, &service, one_read[one_read.len() - 1].position, &[], 10).await;
    // Assert
    assert_eq!(one_read.iter().map(|c| c.sid.clone()).collect::<Vec<_>>(), in_a);
    assert!(one_read.windows(2).all(|w| w[0].position < w[1].position));
    assert!(one_read.iter().all(|c| c.position > resume_at));
    assert_eq!(paged, one_read);
    assert!(
        nothing_after.is_empty(),
        "only a change of channel b follows: {nothing_after:?}"
    );
    let everything = read_all(&chat, &service, 0, &[a, b], 1000).await;
    assert_eq!(everything.len(), 2 + 5 + 5 + 1);
}

#[tokio::test]
async fn changes_concurrent_posts_to_many_channels_are_logged_in_commit_order() {
    // Arrange
    let app = Arc::new(TestApp::spawn().await);
    let service = sid(&app.service().await);
    let sp = format!("/v2/Services/{service}");
    let mut channels = Vec::new();
    for _ in 0..5 {
        channels.push(sid(&send(&app, &format!("{sp}/Channels"), &[]).await));
    }
    let chat = app.operator().await;
    let start = chat.last_change(&service).await.unwrap().last_position;
    // Act: 5 channels × 20 posts, all at once.
    let mut posts = tokio::task::JoinSet::new();
    for ch in &channels {
        for i in 0..20 {
            let (app, path) = (Arc::clone(&app), format!("{sp}/Channels/{ch}/Messages"));
            posts.spawn(async move { send(&app, &path, &[("Body", &i.to_string())]).await });
        }
    }
    while let Some(done) = posts.join_next().await {
        done.unwrap();
    }
    // Assert: dense positions, and per channel the message order is the index order.
    let log = read_all(&chat, &service, start, &channels, 1000).await;
    assert_eq!(log.len(), 100);
    assert!(log.iter().all(|c| c.kind == ChangeKind::MessageAdded));
    let positions: Vec<i64> = log.iter().map(|c| c.position).collect();
    assert_eq!(positions, (start + 1..=start + 100).collect::<Vec<_>>());
    for ch in &channels {
        let logged: Vec<&str> = log
            .iter()
            .filter(|c| c.channel_sid.as_deref() == Some(ch.as_str()))
            .map(|c| c.sid.as_str())
            .collect();
        let page = app.get_json(&format!("{sp}/Channels/{ch}/Messages?PageSize=100")).await;
        let by_index: Vec<&str> = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["sid"].as_str().unwrap())
            .collect();
        assert_eq!(logged, by_index);
    }
}

#[tokio::test]
async fn changes_pruned_positions_ask_for_a_resync_and_new_positions_continue() {
    // Arrange: three changes, older than the retention by the time it runs.
    let app = TestApp::spawn().await;
    let service = sid(&app.service().await);
    let sp = format!("/v2/Services/{service}");
    let ch = sid(&send(&app, &format!("{sp}/Channels"), &[]).await);
    send(&app, &format!("{sp}/Channels/{ch}/Messages"), &[("Body", "1")]).await;
    send(&app, &format!("{sp}/Channels/{ch}/Messages"), &[("Body", "2")]).await;
    let chat = app.operator().await;
    tokio::time::sleep(Duration::from_millis(1100)).await; // dates have whole seconds
    // Act
    let pruned = chat.prune_changes(Duration::ZERO).await.unwrap();
    let again = chat.prune_changes(Duration::ZERO).await.unwrap();
    let kept = chat.prune_changes(Duration::from_secs(3600)).await.unwrap();
    // Assert
    assert_eq!((pruned, again, kept), (3, 0, 0));
    let head = chat.last_change(&service).await.unwrap();
    assert_eq!((head.last_position, head.pruned_through), (3, 3));
    let chs = [ch.clone()];
    for stale in [0, 2, 4] {
        assert_eq!(
            chat.changes_after(&service, stale, Some(&chs), 10).await.unwrap(),
            Catchup::Resync(head),
            "{stale}"
        );
    }
    assert_eq!(
        chat.changes_after(&service, 3, Some(&chs), 10).await.unwrap(),
        Catchup::Changes(vec![])
    );
    let next = sid(&send(&app, &format!("{sp}/Channels/{ch}/Messages"), &[("Body", "3")]).await);
    let Catchup::Changes(after) = chat.changes_after(&service, 3, Some(&chs), 10).await.unwrap() else {
        panic!("resync")
    };
    assert_eq!(kinds(&after), vec![("message_added", next)]);
    assert_eq!(after[0].position, 4);
}

#[tokio::test]
async fn changes_pruning_goes_in_bounded_batches_oldest_first() {
    // Arrange
    let app = TestApp::spawn().await;
    let service = sid(&app.service().await);
    let sp = format!("/v2/Services/{service}");
    let ch = sid(&send(&app, &format!("{sp}/Channels"), &[]).await);
    for i in 0..4 {
        send(
            &app,
            &format!("{sp}/Channels/{ch}/Messages"),
            &[("Body", &i.to_string())],
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let store = Arc::clone(app.operator().await.store());
    // Act
    let first = store.prune_changes(banter::time::now(), 2).await.unwrap();
    let head = store.last_change(&service).await.unwrap();
    let rest = store.prune_changes(banter::time::now(), 2).await.unwrap();
    let more = store.prune_changes(banter::time::now(), 2).await.unwrap();
    // Assert
    assert_eq!((first, head.pruned_through, rest, more), (2, 2, 2, 1));
    assert_eq!(store.last_change(&service).await.unwrap().pruned_through, 5);
}

#[tokio::test]
async fn changes_a_refused_write_logs_nothing_and_its_batch_mates_log_theirs() {
    // Arrange
    let app = Arc::new(TestApp::spawn().await);
    let service = sid(&app.service().await);
    let users = format!("/v2/Services/{service}/Users");
    let first = sid(&send(&app, &users, &[("Identity", "dup")]).await);
    // Act: duplicates (refused) and new users at once, so they share group commits.
    let mut posts = tokio::task::JoinSet::new();
    for i in 0..10 {
        let (app, users) = (Arc::clone(&app), users.clone());
        posts.spawn(async move {
            let identity = if i % 2 == 0 { "dup".to_owned() } else { format!("u{i}") };
            let r = app.post(&users, &[("Identity", &identity)]).send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        });
    }
    let mut added = BTreeSet::from([first]);
    while let Some(done) = posts.join_next().await {
        let (status, body) = done.unwrap();
        if status == StatusCode::CREATED {
            added.insert(sid(&body));
        }
    }
    // Assert
    let log = read_all(&app.operator().await, &service, 0, &[], 100).await;
    assert_eq!(added.len(), 6);
    assert!(log.iter().all(|c| c.kind == ChangeKind::UserAdded));
    assert_eq!(log.iter().map(|c| c.sid.clone()).collect::<BTreeSet<_>>(), added);
    assert_eq!(log.len(), 6);
    assert_eq!(
        log.iter().map(|c| c.position).collect::<Vec<_>>(),
        (1..=6).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn changes_of_a_deleted_service_go_with_it() {
    let app = TestApp::spawn().await;
    let service = sid(&app.service().await);
    let sp = format!("/v2/Services/{service}");
    send(&app, &format!("{sp}/Channels"), &[]).await;
    remove(&app, &sp).await;
    let chat = app.operator().await;
    assert_eq!(chat.last_change(&service).await.unwrap().last_position, 0);
    assert_eq!(
        chat.changes_after(&service, 0, Some(&[]), 10).await.unwrap(),
        Catchup::Changes(vec![])
    );
}

/// Writers on two handles of one database (two nodes), a reader polling the whole time: every
/// change is read exactly once, in position order, with no position skipped.
#[tokio::test]
async fn changes_concurrent_writers_on_two_nodes_never_hide_a_position_from_a_reader() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _db): (_, Option<TestDatabase>) = test_store(dir.path()).await;
    let nodes = [cfg.chat().await.unwrap(), cfg.chat().await.unwrap()];
    let account = nodes[0].create_account("changes").await.unwrap();
    let service = nodes[0].create_service(&account.sid, "changes").await.unwrap().sid;
    let operator = banter::chat::Caller::operator(account.sid.clone(), false);
    let mut channels = Vec::new();
    for _ in 0..4 {
        let input = NewChannel::default();
        channels.push(
            nodes[0]
                .create_channel(operator.service(&service), input)
                .await
                .unwrap()
                .sid,
        );
    }
    let start = nodes[1].last_change(&service).await.unwrap().last_position;
    let writing = Arc::new(AtomicBool::new(true));
    let reader = {
        let (chat, service, channels, writing) = (
            nodes[1].clone(),
            service.clone(),
            channels.clone(),
            Arc::clone(&writing),
        );
        tokio::spawn(async move {
            let mut seen: Vec<Change> = Vec::new();
            let mut at = start;
            loop {
                let done = !writing.load(Ordering::Acquire);
                let Catchup::Changes(batch) = chat.changes_after(&service, at, Some(&channels), 50).await.unwrap()
                else {
                    panic!("resync");
                };
                if let Some(last) = batch.last() {
                    at = last.position;
                } else if done {
                    return seen;
                }
                seen.extend(batch);
                // A SQLite read never waits: let the writers run on this test's runtime.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    // Act: 8 writers per node, 25 messages each, over all channels.
    let mut writers = tokio::task::JoinSet::new();
    for (n, node) in nodes.iter().enumerate() {
        for w in 0..8 {
            let (chat, operator, service, channels) =
                (node.clone(), operator.clone(), service.clone(), channels.clone());
            writers.spawn(async move {
                let mut sent = Vec::new();
                for i in 0..25 {
                    let input = NewMessage {
                        body: Some(format!("{n}/{w}/{i}")),
                        ..Default::default()
                    };
                    let ch = &channels[(w + i) % channels.len()];
                    sent.push(
                        chat.send_message(operator.service(&service).channel(ch), input)
                            .await
                            .unwrap()
                            .sid,
                    );
                }
                sent
            });
        }
    }
    let mut sent = BTreeSet::new();
    while let Some(done) = writers.join_next().await {
        sent.extend(done.unwrap());
    }
    writing.store(false, Ordering::Release);
    let seen = reader.await.unwrap();
    // Assert
    let positions: Vec<i64> = seen.iter().map(|c| c.position).collect();
    assert_eq!(
        positions,
        (start + 1..=start + 400).collect::<Vec<_>>(),
        "skipped or repeated"
    );
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &seen {
        *counts.entry(c.sid.as_str()).or_default() += 1;
    }
    assert!(counts.values().all(|&n| n == 1));
    assert_eq!(counts.keys().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>(), sent);
}
