//! Client actions through the socket follow the same rules as everywhere else: pre-event
//! webhooks can veto them (the SDK gets Twilio's error), post-event webhooks report them as the
//! user's (`Source=SDK`), and a change written through another node reaches the socket live.

use std::time::Duration;

use serde_json::{Value, json};

use crate::gateway::{Client, socket_of as socket};
use crate::harness::receiver::Receiver;
use crate::harness::users::EndUser;
use crate::harness::{TestApp, created, json as body_of};

/// A service with pre- and post-event webhooks to `rx`, a channel, and alice in it.
async fn hooked(app: &TestApp, rx: &Receiver) -> (String, String, EndUser) {
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let sp = format!("/v2/Services/{service}");
    let (pre, post) = (rx.url("/pre"), rx.url("/post"));
    let r = app
        .post(
            &sp,
            &[("PreWebhookUrl", pre.as_str()), ("PostWebhookUrl", post.as_str())],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ch = created(
        app.post(&format!("{sp}/Channels"), &[("UniqueName", "room")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let ch = ch["sid"].as_str().unwrap().to_owned();
    let alice = app.member(&format!("{sp}/Channels/{ch}"), "alice").await;
    (service, ch, alice)
}

#[tokio::test]
async fn gateway_flows_a_vetoed_send_is_refused_and_an_allowed_one_reported_as_the_users() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let (service, ch, alice) = hooked(&app, &rx).await;
    let mut c = socket(&app, &alice).await;
    let path = format!("/Client/v2/Services/{service}/Conversations/{ch}/Messages");

    // The pre-event hook says no: the SDK's send fails with Twilio's answer, nothing is stored.
    rx.answer(403, "");
    let (status, body) = c
        .request_json("POST", &path, json!({"body": "vetoed", "attributes": "{}"}))
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], 20403);
    let list = body_of(
        app.get(&format!("/v2/Services/{service}/Channels/{ch}/Messages"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["messages"], json!([]));

    // Allowed: stored as alice's, and both events name her as the acting client.
    let (status, body) = c
        .request_json("POST", &path, json!({"body": "hello", "attributes": "{}"}))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["index"], 0);
    let pre = rx.wait_for("/pre", 2).await;
    let post = rx.wait_for("/post", 1).await;
    for (hit, event) in [(&pre[1], "onMessageSend"), (&post[0], "onMessageSent")] {
        assert_eq!(hit.param("EventType"), Some(event));
        assert_eq!(hit.param("Source"), Some("SDK"));
        assert_eq!(hit.param("ClientIdentity"), Some("alice"));
        assert_eq!(hit.param("Body"), Some("hello"));
    }
    assert_eq!(post[0].param("MessageSid"), body["sid"].as_str());
}

#[tokio::test]
async fn gateway_flows_a_change_written_on_another_node_reaches_the_socket() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let ch = created(
        app.post(&format!("/v2/Services/{service}/Channels"), &[])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let ch = ch["sid"].as_str().unwrap().to_owned();
    let alice = app
        .member(&format!("/v2/Services/{service}/Channels/{ch}"), "alice")
        .await;
    let mut c = socket(&app, &alice).await;
    follow_messages(&mut c, &ch, Value::Null).await;

    // Another node: its own store handle and domain on the same database (on PostgreSQL its
    // notice wakes this node's reader; on SQLite the reader's poll finds the change).
    let other = app.operator().await;
    other.spawn_auth_watcher();
    let operator = banter::chat::Caller::operator(app.account_sid.clone(), false);
    let input = banter::chat::NewMessage {
        body: Some("from node 2".into()),
        ..Default::default()
    };
    other
        .send_message(operator.service(&service).channel(&ch), input)
        .await
        .unwrap();

    let e = next_event(&mut c).await;
    assert_eq!(e["event_type"], "list_item_added", "{e}");
    assert_eq!(e["event"]["item_data"]["text"], "from node 2");
    assert_eq!(e["event"]["item_index"], 0);
}

/// Subscribes `c` to channel `ch`'s messages from `last` (`null`: no replay); returns the
/// `subscription_established` event (when nothing is replayed before it).
async fn follow_messages(c: &mut Client, ch: &str, last: Value) -> Value {
    let body = json!({"event_protocol_version": 4, "action": "establish", "correlation_id": 1,
                      "requests": [{"object_sid": format!("ES{}", &ch[2..]), "object_type": "list", "last_event_id": last}]});
    let (status, _) = c.request_json("POST", "/v4/Subscriptions", body).await;
    assert_eq!(status, 200);
    let established = next_event(c).await;
    assert_eq!(established["event_type"], "subscription_established");
    established
}

/// The next Sync notification's payload (other frames skipped), within 5 s.
async fn next_event(c: &mut Client) -> Value {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let f = c.frame().await;
            if f.method() == Some("notification") {
                return serde_json::from_slice(&f.payload).expect("json");
            }
        }
    })
    .await
    .expect("an event in time")
}

#[tokio::test]
async fn gateway_flows_typing_reaches_the_other_members_sockets_only() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let ch = created(
        app.post(&format!("/v2/Services/{service}/Channels"), &[])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let ch = ch["sid"].as_str().unwrap().to_owned();
    let path = format!("/v2/Services/{service}/Channels/{ch}");
    let (alice, bob) = (app.member(&path, "alice").await, app.member(&path, "bob").await);
    let carol = app.end_user(&service, "carol").await;
    let (mut a, mut b, mut c) = (
        socket(&app, &alice).await,
        socket(&app, &bob).await,
        socket(&app, &carol).await,
    );
    for s in [&mut a, &mut b] {
        follow_messages(s, &ch, Value::Null).await;
    }

    // alice types: bob's socket is told, with the service's timeout.
    let typing = format!("/Client/v2/Services/{service}/Typing");
    let form = format!("ChannelSid={ch}");
    let (status, body) = a
        .request_with(
            "POST",
            &typing,
            json!({}),
            json!({}),
            "application/x-www-form-urlencoded",
            &form,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["typing_timeout"], 5);
    let f = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let f = b.frame().await;
            if f.method() == Some("notification") {
                return f;
            }
        }
    })
    .await
    .expect("a typing indicator");
    assert_eq!(f.header["message_type"], "twilio.ipmsg.typing_indicator");
    let payload: Value = serde_json::from_slice(&f.payload).unwrap();
    assert_eq!(
        payload,
        json!({"channel_sid": ch, "identity": "alice", "typing_timeout": 5})
    );

    // carol is no member: she may not type there, and hears nothing.
    let (status, _) = c
        .request_with(
            "POST",
            &typing,
            json!({}),
            json!({}),
            "application/x-www-form-urlencoded",
            &form,
        )
        .await;
    assert_eq!(status, 404);
    // alice is not told about herself: the next frame she gets is the answer to a later request.
    let (status, _) = a
        .request_json(
            "GET",
            &format!("/Client/v2/Services/{service}/Users/alice"),
            json!(null),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn gateway_flows_a_revoked_key_closes_its_sockets_at_once_and_only_those() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let chat = app.operator().await;
    let mint = async |key_sid: &str, identity: &str| {
        let t = banter::chat::NewToken {
            account_sid: app.account_sid.clone(),
            key_sid: key_sid.to_owned(),
            service_sid: service.clone(),
            identity: identity.to_owned(),
            ttl_secs: 3600,
        };
        EndUser {
            identity: identity.to_owned(),
            jwt: chat.mint_token(&t).await.unwrap(),
        }
    };
    let doomed = chat.create_api_key(&app.account_sid, "doomed").await.unwrap();
    let kept = chat.create_api_key(&app.account_sid, "kept").await.unwrap();
    let mut a = socket(&app, &mint(&doomed.sid, "alice").await).await;
    let mut b = socket(&app, &mint(&kept.sid, "bob").await).await;

    // The key is deleted as `banter key delete` does, from another process on the database.
    chat.delete_api_key(&app.account_sid, &doomed.sid).await.unwrap();

    let close = tokio::time::timeout(Duration::from_secs(3), a.expect_twilsock_close(401, Some(20101), 1008))
        .await
        .expect("closed at once");
    assert_eq!(close.header["status"]["status"], "UNAUTHORIZED");
    // bob's socket, signed with another key, goes on.
    let (status, _) = b
        .request_json("GET", &format!("/Client/v2/Services/{service}/Users/bob"), json!(null))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn gateway_flows_a_client_that_stops_reading_is_dropped_and_resumes_from_the_database() {
    // A small outbound queue and write timeout, so that the bound is reached quickly.
    let app = TestApp::spawn_with(|cfg| {
        cfg.gateway.outbound_queue = 8;
        cfg.gateway.write_timeout = Duration::from_secs(1);
    })
    .await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let ch = created(
        app.post(&format!("/v2/Services/{service}/Channels"), &[])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let ch = ch["sid"].as_str().unwrap().to_owned();
    let path = format!("/v2/Services/{service}/Channels/{ch}");
    let alice = app.member(&path, "alice").await;
    let mut c = socket(&app, &alice).await;
    let list_sid = format!("ES{}", &ch[2..]);
    let subscribe = |last: Value| {
        json!({"event_protocol_version": 4, "action": "establish", "correlation_id": 2,
               "requests": [{"object_sid": list_sid, "object_type": "list", "last_event_id": last}]})
    };
    let established = follow_messages(&mut c, &ch, Value::Null).await;
    let start = established["event"]["last_event_id"].clone();

    // The client stops reading while 150 messages of 30 KB are written (more than the kernel's
    // socket buffers and the queue hold together).
    let body = "x".repeat(30_000);
    for _ in 0..150 {
        created(
            app.post(&format!("{path}/Messages"), &[("Body", body.as_str())])
                .send()
                .await
                .unwrap(),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    // It was disconnected: reading now drains what was in flight, then the socket ends.
    let mut got = 0;
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(m) = c.next().await {
            if let tokio_tungstenite::tungstenite::Message::Binary(_) = m {
                got += 1;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the socket was closed");
    assert!(
        got < 150,
        "the stalled client was dropped before everything was queued for it ({got} frames)"
    );

    // Reconnected, it resumes from its last event id and gets all 150 from the database.
    let mut again = socket(&app, &alice).await;
    let (status, _) = again.request_json("POST", "/v4/Subscriptions", subscribe(start)).await;
    assert_eq!(status, 200);
    let mut indexes = Vec::new();
    loop {
        let e = next_event(&mut again).await;
        if e["event_type"] == "list_item_added" {
            indexes.push(e["event"]["item_index"].as_i64().unwrap());
        } else if e["event_type"] == "subscription_established" {
            break;
        }
    }
    assert_eq!(indexes, (0..150).collect::<Vec<i64>>());
}

#[tokio::test]
async fn gateway_flows_a_document_whose_missed_events_were_pruned_is_sent_whole() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let ch = created(
        app.post(&format!("/v2/Services/{service}/Channels"), &[("FriendlyName", "Old")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let ch = ch["sid"].as_str().unwrap().to_owned();
    let path = format!("/v2/Services/{service}/Channels/{ch}");
    let alice = app.member(&path, "alice").await;
    let mut c = socket(&app, &alice).await;
    let (_, doc) = c
        .request_json("GET", &format!("/v3/Documents/{ch}.channel"), json!(null))
        .await;
    let old_id = doc["last_event_id"].clone();

    // The channel changes, and the log of that change is pruned before the client comes back.
    let r = app.post(&path, &[("FriendlyName", "New")]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let pruned = app.operator().await.prune_changes(Duration::ZERO).await.unwrap();
    assert!(pruned > 0);

    let doc_sid = doc["sid"].as_str().unwrap();
    let body = json!({"event_protocol_version": 4, "action": "establish", "correlation_id": 3,
                      "requests": [{"object_sid": doc_sid, "object_type": "document", "last_event_id": old_id}]});
    let (status, _) = c.request_json("POST", "/v4/Subscriptions", body).await;
    assert_eq!(status, 200);
    let e = next_event(&mut c).await;
    assert_eq!(e["event_type"], "document_updated", "{e}");
    assert_eq!(e["event"]["document_data"]["friendlyName"], "New");
    assert!(e["event"]["id"].as_i64().unwrap() > old_id.as_i64().unwrap());
    let established = next_event(&mut c).await;
    assert_eq!(established["event_type"], "subscription_established");
    assert_eq!(established["event"]["last_event_id"], e["event"]["id"]);
}
