//! The store contract, checked through two handles on one database as two nodes (or a node and
//! the CLI) hold them. Runs on whichever backend `BANTER_TEST_DATABASE` names; no server runs,
//! so nothing else touches the outbox.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use banter::chat::Chat;
use banter::secrets::Secrets;
use banter::store::{
    AddInvite, AddMember, Channel, ConversationTimers, Invite, Member, Message, OutboxRow, PageReq, Store, StoreError,
    User,
};
use banter::time;

use crate::harness::{TestDatabase, test_store};

mod timers;

/// Two handles on one fresh database, plus what keeps the database alive.
struct Pair {
    a: Arc<dyn Store>,
    b: Arc<dyn Store>,
    service_sid: String,
    account_sid: String,
    _dir: tempfile::TempDir,
    _db: Option<TestDatabase>,
}

async fn pair() -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, db) = test_store(dir.path()).await;
    let a = cfg.open().await.unwrap();
    let b = cfg.open().await.unwrap();
    let chat = Chat::new(Arc::clone(&a), cfg.secrets().unwrap());
    let account = chat.create_account("store").await.unwrap();
    let service = chat.create_service(&account.sid, "store").await.unwrap();
    Pair {
        a,
        b,
        service_sid: service.sid,
        account_sid: account.sid,
        _dir: dir,
        _db: db,
    }
}

impl Pair {
    fn user(&self, identity: &str) -> User {
        User {
            sid: banter::sid::generate("US"),
            account_sid: self.account_sid.clone(),
            service_sid: self.service_sid.clone(),
            role_sid: None,
            identity: identity.to_owned(),
            attributes: None,
            friendly_name: None,
            joined_channels_count: 0,
            date_created: time::now(),
            date_updated: time::now(),
        }
    }

    fn channel(&self, unique_name: Option<&str>) -> Channel {
        Channel {
            sid: banter::sid::generate("CH"),
            account_sid: self.account_sid.clone(),
            service_sid: self.service_sid.clone(),
            friendly_name: None,
            unique_name: unique_name.map(str::to_owned),
            attributes: "{}".to_owned(),
            channel_type: "public".to_owned(),
            created_by: "system".to_owned(),
            members_count: 0,
            messages_count: 0,
            last_message_sid: None,
            date_created: time::now(),
            date_updated: time::now(),
            state: "active".to_owned(),
            messaging_service_sid: None,
            timers: ConversationTimers::default(),
        }
    }

    fn member(&self, channel: &Channel, identity: &str) -> Member {
        Member {
            sid: banter::sid::generate("MB"),
            account_sid: self.account_sid.clone(),
            service_sid: self.service_sid.clone(),
            channel_sid: channel.sid.clone(),
            identity: identity.to_owned(),
            role_sid: None,
            attributes: "{}".to_owned(),
            last_consumed_message_index: None,
            last_consumption_timestamp: None,
            notification_level: None,
            date_created: time::now(),
            date_updated: time::now(),
            messaging_binding: None,
        }
    }

    fn message(&self, channel: &Channel, body: &str) -> Message {
        Message {
            sid: banter::sid::generate("IM"),
            account_sid: self.account_sid.clone(),
            service_sid: self.service_sid.clone(),
            channel_sid: channel.sid.clone(),
            index: -1,
            from: "system".to_owned(),
            body: body.to_owned(),
            attributes: None,
            media: None,
            was_edited: false,
            last_updated_by: None,
            date_created: time::now(),
            date_updated: time::now(),
        }
    }

    fn outbox(&self, ordering_key: &str, n: usize) -> OutboxRow {
        OutboxRow {
            id: format!("{ordering_key}-{n}"),
            account_sid: self.account_sid.clone(),
            ordering_key: ordering_key.to_owned(),
            url: "http://127.0.0.1:9/hook".to_owned(),
            method: "POST".to_owned(),
            event_type: "onUserAdded".to_owned(),
            params: vec![("N".to_owned(), n.to_string())],
            max_attempts: 1,
            date_created: time::now(),
        }
    }

    fn handle(&self, i: usize) -> Arc<dyn Store> {
        if i.is_multiple_of(2) {
            Arc::clone(&self.a)
        } else {
            Arc::clone(&self.b)
        }
    }
}

fn first_page() -> PageReq {
    PageReq {
        after: None,
        before: None,
        limit: 1000,
        desc: false,
    }
}

#[tokio::test]
async fn store_message_indexes_are_gap_free_across_two_handles() {
    // Arrange
    let p = pair().await;
    let ch = p.channel(None);
    p.a.insert_channel(&ch, &[]).await.unwrap();
    // Act: 100 appends, alternating between the handles, all at once.
    let mut tasks = Vec::new();
    for i in 0..100 {
        let (store, msg) = (p.handle(i), p.message(&ch, &format!("m{i}")));
        tasks.push(tokio::spawn(async move { store.append_message(&msg, &[]).await }));
    }
    let mut indexes = BTreeSet::new();
    for t in tasks {
        let m = t.await.unwrap().unwrap().expect("channel exists");
        assert!(indexes.insert(m.index), "duplicate index {}", m.index);
    }
    // Assert
    assert_eq!(indexes, (0..100).collect::<BTreeSet<i64>>());
    let stored = p.b.channel(&p.service_sid, &ch.sid).await.unwrap().unwrap();
    assert_eq!(stored.messages_count, 100);
    let listed = p.b.list_messages(&ch.sid, first_page()).await.unwrap();
    assert_eq!(listed.len(), 100);
    assert_eq!(stored.last_message_sid.as_deref(), Some(listed[99].item.sid.as_str()));
}

#[tokio::test]
async fn store_member_limits_hold_across_two_handles() {
    // Arrange
    let p = pair().await;
    let ch = p.channel(None);
    p.a.insert_channel(&ch, &[]).await.unwrap();
    // Act: 20 identities race for 10 seats.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (store, m, u) = (p.handle(i), p.member(&ch, &format!("u{i}")), p.user(&format!("u{i}")));
        tasks.push(tokio::spawn(async move {
            store.add_member(&m, Some(&u), 10, 100, &[]).await
        }));
    }
    let mut outcomes = BTreeMap::new();
    for t in tasks {
        *outcomes.entry(format!("{:?}", t.await.unwrap().unwrap())).or_insert(0) += 1;
    }
    // Assert
    assert_eq!(outcomes.get("Added"), Some(&10), "{outcomes:?}");
    assert_eq!(outcomes.get("ChannelFull"), Some(&10), "{outcomes:?}");
    let stored = p.b.channel(&p.service_sid, &ch.sid).await.unwrap().unwrap();
    assert_eq!(stored.members_count, 10);
    let members = p.b.list_members(&ch.sid, &[], first_page()).await.unwrap();
    assert_eq!(members.len(), 10);
    for m in members {
        let u = p.a.user(&p.service_sid, &m.item.identity).await.unwrap().unwrap();
        assert_eq!(u.joined_channels_count, 1);
    }
}

#[tokio::test]
async fn store_user_channel_limit_and_duplicates_hold_across_two_handles() {
    // Arrange: one identity, six channels, room for three.
    let p = pair().await;
    p.a.insert_user(&p.user("solo"), &[]).await.unwrap();
    let mut channels = Vec::new();
    for _ in 0..6 {
        let ch = p.channel(None);
        p.a.insert_channel(&ch, &[]).await.unwrap();
        channels.push(ch);
    }
    // Act: join all six twice over, from both handles.
    let mut tasks = Vec::new();
    for (i, ch) in channels.iter().chain(channels.iter()).enumerate() {
        let (store, m) = (p.handle(i), p.member(ch, "solo"));
        tasks.push(tokio::spawn(
            async move { store.add_member(&m, None, 100, 3, &[]).await },
        ));
    }
    let mut added = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            AddMember::Added => added += 1,
            AddMember::UserFull | AddMember::Duplicate => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    // Assert
    assert_eq!(added, 3);
    let u = p.b.user(&p.service_sid, "solo").await.unwrap().unwrap();
    assert_eq!(u.joined_channels_count, 3);
    let mut total = 0;
    for ch in &channels {
        let stored = p.a.channel(&p.service_sid, &ch.sid).await.unwrap().unwrap();
        let rows = p.a.list_members(&ch.sid, &[], first_page()).await.unwrap();
        assert_eq!(stored.members_count, i64::try_from(rows.len()).unwrap());
        total += rows.len();
    }
    assert_eq!(total, 3);
}

#[tokio::test]
async fn store_unique_rules_are_named_conflicts_on_every_backend() {
    let p = pair().await;
    // Channels: unique name per service.
    p.a.insert_channel(&p.channel(Some("general")), &[]).await.unwrap();
    let again = p.b.insert_channel(&p.channel(Some("general")), &[]).await;
    assert!(
        matches!(again, Err(StoreError::Conflict("channel.unique_name"))),
        "{again:?}"
    );
    let mut renamed = p.channel(Some("random"));
    p.a.insert_channel(&renamed, &[]).await.unwrap();
    renamed.unique_name = Some("general".to_owned());
    let update = p.b.update_channel(&renamed, &renamed, &[]).await;
    assert!(
        matches!(update, Err(StoreError::Conflict("channel.unique_name"))),
        "{update:?}"
    );
    // Users: identity per service.
    p.a.insert_user(&p.user("alice"), &[]).await.unwrap();
    let dup = p.b.insert_user(&p.user("alice"), &[]).await;
    assert!(matches!(dup, Err(StoreError::Conflict("user.identity"))), "{dup:?}");
    // Accounts and services: SIDs.
    let account = p.a.account(&p.account_sid).await.unwrap().unwrap();
    let dup = p.b.insert_account(&account).await;
    assert!(matches!(dup, Err(StoreError::Conflict("account.sid"))), "{dup:?}");
    let service = p.a.service(&p.account_sid, &p.service_sid).await.unwrap().unwrap();
    let dup = p.b.insert_service(&service, &[]).await;
    assert!(matches!(dup, Err(StoreError::Conflict("service.sid"))), "{dup:?}");
    // Members and invites: enum outcomes, no error.
    let ch = p.channel(None);
    p.a.insert_channel(&ch, &[]).await.unwrap();
    let invite = Invite {
        sid: banter::sid::generate("IN"),
        account_sid: p.account_sid.clone(),
        service_sid: p.service_sid.clone(),
        channel_sid: ch.sid.clone(),
        identity: "bob".to_owned(),
        role_sid: None,
        created_by: None,
        date_created: time::now(),
        date_updated: time::now(),
    };
    assert_eq!(p.a.insert_invite(&invite).await.unwrap(), AddInvite::Added);
    let second = Invite {
        sid: banter::sid::generate("IN"),
        ..invite.clone()
    };
    assert_eq!(p.b.insert_invite(&second).await.unwrap(), AddInvite::Duplicate);
    let bob = p.user("bob");
    let joined = p.a.add_member(&p.member(&ch, "bob"), Some(&bob), 10, 10, &[]).await;
    assert_eq!(joined.unwrap(), AddMember::Added);
    assert!(
        p.a.invite(&ch.sid, &invite.sid).await.unwrap().is_none(),
        "joining consumes the invite"
    );
    let again = p.b.add_member(&p.member(&ch, "bob"), Some(&bob), 10, 10, &[]).await;
    assert_eq!(again.unwrap(), AddMember::Duplicate);
    assert_eq!(p.b.insert_invite(&second).await.unwrap(), AddInvite::AlreadyMember);
}

#[tokio::test]
async fn store_deleting_an_api_key_bumps_the_auth_epoch_seen_by_the_other_handle() {
    let p = pair().await;
    let chat = Chat::new(Arc::clone(&p.a), Arc::new(Secrets::from_bytes(&[1; 32]).unwrap()));
    let key = chat.create_api_key(&p.account_sid, "k").await.unwrap();
    let before = p.b.auth_epoch().await.unwrap();
    assert!(p.a.delete_api_key(&p.account_sid, &key.sid).await.unwrap());
    assert!(p.b.auth_epoch().await.unwrap() > before);
    assert!(p.b.api_key(&key.sid).await.unwrap().is_none());
}

#[tokio::test]
async fn store_outbox_claims_are_exclusive_and_ordered_across_two_handles() {
    // Arrange: three ordering keys with three deliveries each.
    let p = pair().await;
    for n in 0..3 {
        for key in ["k0", "k1", "k2"] {
            let user = p.user(&format!("{key}-{n}"));
            p.a.insert_user(&user, &[p.outbox(key, n)]).await.unwrap();
        }
    }
    let now = time::now() + chrono::Duration::seconds(1);
    let lease = now + chrono::Duration::seconds(60);
    // Act: both handles claim at once.
    let (ra, rb) = tokio::join!(p.a.claim_outbox(now, lease, 10), p.b.claim_outbox(now, lease, 10));
    let claimed: Vec<String> = ra.unwrap().into_iter().chain(rb.unwrap()).map(|i| i.row.id).collect();
    // Assert: only the head of each key, each claimed once.
    let heads: BTreeSet<String> = claimed.iter().cloned().collect();
    assert_eq!(claimed.len(), heads.len(), "a row was claimed twice: {claimed:?}");
    assert_eq!(heads, ["k0-0", "k1-0", "k2-0"].map(str::to_owned).into());
    // Leased heads block their keys for everyone.
    assert!(p.b.claim_outbox(now, lease, 10).await.unwrap().is_empty());
    // Completing k0's head and failing k1's releases the next row of each; k2 stays leased.
    p.a.complete_outbox("k0-0").await.unwrap();
    p.b.fail_outbox("k1-0", 1, "gone").await.unwrap();
    let next = p.a.claim_outbox(now, lease, 10).await.unwrap();
    let next: Vec<String> = next.into_iter().map(|i| i.row.id).collect();
    assert_eq!(next, vec!["k0-1".to_owned(), "k1-1".to_owned()]);
    // A retry scheduled later keeps its key blocked until then, and carries its attempts.
    let later = now + chrono::Duration::seconds(30);
    p.b.retry_outbox("k0-1", 1, later, "503").await.unwrap();
    let none = p.a.claim_outbox(now, lease, 10).await.unwrap();
    assert!(none.iter().all(|i| i.row.ordering_key != "k0"), "{none:?}");
    let again =
        p.a.claim_outbox(later, later + chrono::Duration::seconds(60), 10)
            .await
            .unwrap();
    let k0 = again.iter().find(|i| i.row.ordering_key == "k0").expect("k0 due again");
    assert_eq!((k0.row.id.as_str(), k0.attempts), ("k0-1", 1));
    assert_eq!(k0.row.params, vec![("N".to_owned(), "1".to_owned())]);
}

#[tokio::test]
async fn store_deleting_a_user_while_its_memberships_go_keeps_counters_exact() {
    // Arrange: `gone` and `stays` are members of five channels. Deleting `gone` and removing
    // memberships both lock channels and users; however they interleave on PostgreSQL, no
    // error may surface and every counter must match the rows.
    let p = pair().await;
    p.a.insert_user(&p.user("gone"), &[]).await.unwrap();
    p.a.insert_user(&p.user("stays"), &[]).await.unwrap();
    let mut memberships = Vec::new();
    for _ in 0..5 {
        let ch = p.channel(None);
        p.a.insert_channel(&ch, &[]).await.unwrap();
        for identity in ["gone", "stays"] {
            let m = p.member(&ch, identity);
            assert_eq!(p.a.add_member(&m, None, 10, 10, &[]).await.unwrap(), AddMember::Added);
            memberships.push(m);
        }
    }
    // Act: delete one user on one handle while the other removes every membership.
    let deleting = {
        let (store, service, user) = (Arc::clone(&p.a), p.service_sid.clone(), "gone".to_owned());
        tokio::spawn(async move {
            let u = store.user(&service, &user).await?.expect("user");
            store.delete_user(&service, &u.sid).await
        })
    };
    let mut removing = Vec::new();
    for m in memberships.iter().rev() {
        let (store, channel, sid) = (Arc::clone(&p.b), m.channel_sid.clone(), m.sid.clone());
        removing.push(tokio::spawn(
            async move { store.remove_member(&channel, &sid, &[]).await },
        ));
    }
    // Assert: no error escaped; every counter agrees with the rows left.
    assert!(deleting.await.unwrap().unwrap());
    for r in removing {
        r.await.unwrap().unwrap();
    }
    assert!(p.b.user(&p.service_sid, "gone").await.unwrap().is_none());
    let stays = p.b.user(&p.service_sid, "stays").await.unwrap().unwrap();
    assert_eq!(stays.joined_channels_count, 0);
    for m in memberships.iter().filter(|m| m.identity == "stays") {
        let ch = p.a.channel(&p.service_sid, &m.channel_sid).await.unwrap().unwrap();
        let rows = p.a.list_members(&ch.sid, &[], first_page()).await.unwrap();
        assert_eq!((ch.members_count, rows.len()), (0, 0));
    }
}

#[tokio::test]
async fn store_failed_writes_leave_their_batch_mates_and_acknowledged_writes_survive_reopening() {
    // Arrange: a store of its own, so that it can be closed and opened again.
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _db) = test_store(dir.path()).await;
    let store = cfg.open().await.unwrap();
    let chat = Chat::new(Arc::clone(&store), cfg.secrets().unwrap());
    let account = chat.create_account("batch").await.unwrap();
    let service = chat.create_service(&account.sid, "batch").await.unwrap();
    let p = Pair {
        a: Arc::clone(&store),
        b: Arc::clone(&store),
        service_sid: service.sid.clone(),
        account_sid: account.sid.clone(),
        _dir: tempfile::tempdir().unwrap(),
        _db: None,
    };
    // Act: 90 channel inserts at once, so they share commits; every third one reuses the unique
    // name "taken", so exactly one of those 30 may succeed and the other 29 fail in mid-batch.
    let mut tasks = Vec::new();
    for i in 0..90 {
        let name = if i % 3 == 0 {
            "taken".to_owned()
        } else {
            format!("c{i}")
        };
        let ch = p.channel(Some(&name));
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            (ch.sid.clone(), store.insert_channel(&ch, &[]).await)
        }));
    }
    let mut acknowledged = BTreeSet::new();
    let mut conflicts = 0;
    for t in tasks {
        match t.await.unwrap() {
            (sid, Ok(())) => {
                acknowledged.insert(sid);
            }
            (_, Err(StoreError::Conflict("channel.unique_name"))) => conflicts += 1,
            (_, Err(e)) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!((acknowledged.len(), conflicts), (61, 29));
    drop((p, chat, store));
    // Assert: a new handle sees exactly the acknowledged channels.
    let reopened = cfg.open().await.unwrap();
    let listed = reopened
        .list_channels(&service.sid, &[], None, first_page())
        .await
        .unwrap();
    let listed: BTreeSet<String> = listed.into_iter().map(|k| k.item.sid).collect();
    assert_eq!(listed, acknowledged);
}

#[tokio::test]
async fn store_concurrent_appends_to_several_channels_and_a_missing_one_keep_indexes_exact() {
    // Arrange: three channels, and one that was never stored.
    let p = pair().await;
    let channels: Vec<Channel> = (0..3).map(|_| p.channel(None)).collect();
    for ch in &channels {
        p.a.insert_channel(ch, &[]).await.unwrap();
    }
    let missing = p.channel(None);
    // Act: 40 appends per channel plus 10 to the missing one, from both handles at once, so
    // batches mix channels.
    let mut tasks = Vec::new();
    for i in 0..130 {
        let ch = if i < 120 { &channels[i % 3] } else { &missing };
        let (store, msg) = (p.handle(i), p.message(ch, &format!("m{i}")));
        tasks.push(tokio::spawn(async move { store.append_message(&msg, &[]).await }));
    }
    let mut indexes: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    let mut not_found = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            Some(m) => assert!(indexes.entry(m.channel_sid).or_default().insert(m.index)),
            None => not_found += 1,
        }
    }
    // Assert
    assert_eq!(not_found, 10);
    for ch in &channels {
        assert_eq!(indexes[&ch.sid], (0..40).collect::<BTreeSet<i64>>());
        let stored = p.b.channel(&p.service_sid, &ch.sid).await.unwrap().unwrap();
        assert_eq!(stored.messages_count, 40);
        let listed = p.b.list_messages(&ch.sid, first_page()).await.unwrap();
        assert_eq!(
            listed.iter().map(|k| k.key).collect::<Vec<_>>(),
            (0..40).collect::<Vec<i64>>()
        );
        assert_eq!(stored.last_message_sid.as_deref(), Some(listed[39].item.sid.as_str()));
    }
    assert!(p.b.list_messages(&missing.sid, first_page()).await.unwrap().is_empty());
}
