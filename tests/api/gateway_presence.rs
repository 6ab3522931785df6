//! Reachability and push registrations over the client socket: a user is online while a
//! client of theirs is connected (several sockets included, a crashed node's sockets swept),
//! notifiable while they hold a push registration, and other users' subscriptions to their
//! info see each flip once; REST agrees. Also a service that keeps no read status.

use std::time::Duration;

use banter::store::SocketPresence;
use serde_json::{Value, json};

use crate::gateway::{Client, socket_of};
use crate::harness::users::EndUser;
use crate::harness::{TestApp, created, ok_json};

/// A server whose closed sockets stop counting at the next sweep.
async fn app() -> TestApp {
    TestApp::spawn_with(|c| c.presence.linger = Duration::ZERO).await
}

/// A service with `settings`, its users `alice` and `bob` (created by REST), and their SIDs.
async fn service(app: &TestApp, settings: &[(&str, &str)]) -> (String, EndUser, EndUser, String) {
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    ok_json(
        app.post(&format!("/v2/Services/{service}"), settings)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut sids = Vec::new();
    for identity in ["alice", "bob"] {
        let u = created(
            app.post(&format!("/v2/Services/{service}/Users"), &[("Identity", identity)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        sids.push(u["sid"].as_str().unwrap().to_owned());
    }
    let alice = app.end_user(&service, "alice").await;
    let bob = app.end_user(&service, "bob").await;
    (service, alice, bob, sids.remove(0))
}

/// Subscribes `c` to `user_sid`'s info map; returns the map's SID.
async fn follow_info(c: &mut Client, user_sid: &str) -> String {
    let info = format!("MI{}", &user_sid[2..]);
    let seen = c.subscribe(&[(&info, "map", None)]).await;
    assert_eq!(
        seen.last().unwrap()["event_type"],
        "subscription_established",
        "{seen:?}"
    );
    info
}

/// The next reachability event on `c` for map `info`: `(online, notifiable)`.
async fn next_reachability(c: &mut Client, info: &str) -> (bool, bool) {
    let e = c.event().await;
    assert_eq!(e["event_type"], "map_item_updated", "{e}");
    assert_eq!(e["event"]["map_sid"], info, "{e}");
    assert_eq!(e["event"]["item_key"], "reachability", "{e}");
    let d = &e["event"]["item_data"];
    (d["online"].as_bool().unwrap(), d["notifiable"].as_bool().unwrap())
}

/// `(is_online, is_notifiable)` of a REST User or a socket's UserDesc.
fn reach(u: &Value) -> (Value, Value) {
    (u["is_online"].clone(), u["is_notifiable"].clone())
}

/// The UserDesc of `identity`, read through socket `c` (A19).
async fn desc(c: &mut Client, service: &str, identity: &str) -> Value {
    let path = format!("/Client/v2/Services/{service}/Users/{identity}");
    c.request_json("GET", &path, Value::Null).await.1
}

async fn rest_user(app: &TestApp, service: &str, identity: &str) -> Value {
    ok_json(
        app.get(&format!("/v2/Services/{service}/Users/{identity}"))
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A push registration as the notifications client sends it.
async fn register(c: &mut Client, address: &str) -> (u16, Value) {
    let body = json!({"endpoint_platform": "web", "channel_type": "fcm", "version": "3",
                      "message_types": ["twilio.channel.new_message", "twilio.channel.added_to_channel",
                                        "twilio.channel.consumption_update"],
                      "data": {"registration_id": address}});
    c.request_with(
        "POST",
        "/v1/registrations",
        json!({"productId": "ip_messaging"}),
        json!({}),
        "application/json",
        &body.to_string(),
    )
    .await
}

#[tokio::test]
async fn gateway_presence_online_and_notifiable_follow_sockets_and_registrations() {
    let app = app().await;
    let (service, alice, bob, alice_sid) = service(&app, &[("ReachabilityEnabled", "true")]).await;
    let mut watcher = socket_of(&app, &bob).await;
    let info = follow_info(&mut watcher, &alice_sid).await;
    let (_, items) = watcher
        .get(&format!("/v3/Maps/{alice_sid}.info/Items"), json!({}))
        .await;
    let item = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "reachability")
        .cloned();
    assert_eq!(
        item.unwrap()["data"],
        json!({"online": false, "notifiable": false}),
        "{items}"
    );

    // Alice connects: online, seen by bob's subscription and by REST.
    let mut first = socket_of(&app, &alice).await;
    assert_eq!(next_reachability(&mut watcher, &info).await, (true, false));
    let u = rest_user(&app, &service, "alice").await;
    assert_eq!(reach(&u), (json!(true), json!(false)));
    let list = ok_json(app.get(&format!("/v2/Services/{service}/Users")).send().await.unwrap()).await;
    assert!(
        list["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["is_online"].is_null()),
        "{list}"
    );

    // A second device; the first one leaves: still online (no event).
    let mut second = socket_of(&app, &alice).await;
    first.ws.close(None).await.unwrap();
    drop(first);

    // A push registration makes her notifiable; registering the same device again changes
    // nothing; the binding is hers, with Chat's message types.
    let (status, reg) = register(&mut second, "fcm-token-1").await;
    assert_eq!(status, 201, "{reg}");
    let id = reg["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("BS"), "{reg}");
    assert_eq!(next_reachability(&mut watcher, &info).await, (true, true));
    assert_eq!(register(&mut second, "fcm-token-1").await.1["id"], id.as_str());
    let bindings = ok_json(
        app.get(&format!("/v2/Services/{service}/Users/alice/Bindings"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let b = &bindings["bindings"].as_array().unwrap()[..];
    assert_eq!(b.len(), 1, "{bindings}");
    assert_eq!(b[0]["sid"], id.as_str());
    assert_eq!(b[0]["endpoint"], "fcm-token-1");
    assert_eq!(b[0]["binding_type"], "fcm");
    assert_eq!(b[0]["message_types"], json!(["added_to_channel", "new_message"]));
    let u = rest_user(&app, &service, "alice").await;
    assert_eq!(reach(&u), (json!(true), json!(true)));

    // Bob cannot remove her registration; she can.
    let (status, _) = watcher
        .request_json("DELETE", &format!("/v1/registrations/{id}"), json!({}))
        .await;
    assert_eq!(status, 404);
    let (status, _) = second
        .request_json("DELETE", &format!("/v1/registrations/{id}"), json!({}))
        .await;
    assert_eq!(status, 204);
    assert_eq!(next_reachability(&mut watcher, &info).await, (true, false));

    // Her last socket closes: offline, once.
    second.ws.close(None).await.unwrap();
    drop(second);
    assert_eq!(next_reachability(&mut watcher, &info).await, (false, false));
    let u = rest_user(&app, &service, "alice").await;
    assert_eq!(reach(&u), (json!(false), json!(false)));
    let d = desc(&mut watcher, &service, "alice").await;
    assert_eq!(reach(&d), (json!(false), json!(false)));
}

#[tokio::test]
async fn gateway_presence_sockets_of_a_crashed_node_are_swept() {
    let app = app().await;
    let (service, _, bob, alice_sid) = service(&app, &[("ReachabilityEnabled", "true")]).await;
    let mut watcher = socket_of(&app, &bob).await;
    let info = follow_info(&mut watcher, &alice_sid).await;

    // Another node (its own handle on the database) holds a socket of alice, then stops
    // refreshing its liveness: as if it crashed.
    let node = app.operator().await;
    let now = chrono::Utc::now().timestamp_millis();
    node.store().presence_beat("node-crashed", now + 1500).await.unwrap();
    let p = SocketPresence {
        service_sid: service.clone(),
        identity: "alice".to_owned(),
        socket_id: "s1".to_owned(),
        node_id: "node-crashed".to_owned(),
    };
    assert!(
        node.store().presence_open(&p).await.unwrap(),
        "the first socket makes her online"
    );
    assert_eq!(next_reachability(&mut watcher, &info).await, (true, false));
    assert_eq!(rest_user(&app, &service, "alice").await["is_online"], true);

    // The serving node's sweep finds the silent node and takes its sockets offline.
    assert_eq!(next_reachability(&mut watcher, &info).await, (false, false));
    assert_eq!(rest_user(&app, &service, "alice").await["is_online"], false);
}

#[tokio::test]
async fn gateway_presence_is_not_tracked_unless_the_service_enables_it() {
    let app = app().await;
    let (service, alice, _, _) = service(&app, &[("FriendlyName", "plain")]).await;
    let mut c = socket_of(&app, &alice).await;
    let u = rest_user(&app, &service, "alice").await;
    assert!(u["is_online"].is_null() && u["is_notifiable"].is_null(), "{u}");
    let d = desc(&mut c, &service, "alice").await;
    assert_eq!(reach(&d), (json!(false), Value::Null));
    let found = app
        .operator()
        .await
        .store()
        .reachability(&service, &["alice".to_owned()])
        .await
        .unwrap();
    assert!(!found[0].online, "no presence rows are written");

    // Registrations are refused when malformed.
    let (status, e) = c
        .request_with(
            "POST",
            "/v1/registrations",
            json!({}),
            json!({}),
            "application/json",
            r#"{"channel_type":"fcm"}"#,
        )
        .await;
    assert_eq!((status, e["status"].clone()), (400, json!(400)), "{e}");
    let body = json!({"channel_type": "sms", "data": {"registration_id": "x"}}).to_string();
    let (status, _) = c
        .request_with(
            "POST",
            "/v1/registrations",
            json!({}),
            json!({}),
            "application/json",
            &body,
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn gateway_presence_read_status_off_keeps_no_client_horizon() {
    let app = app().await;
    let (service, alice, _, alice_sid) = service(&app, &[("ReadStatusEnabled", "false")]).await;
    let ch = created(
        app.post(&format!("/v2/Services/{service}/Channels"), &[("FriendlyName", "c")])
            .send()
            .await
            .unwrap(),
    )
    .await["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let ch_path = format!("/v2/Services/{service}/Channels/{ch}");
    app.member(&ch_path, "alice").await;
    for body in ["one", "two"] {
        created(
            app.post(&format!("{ch_path}/Messages"), &[("Body", body)])
                .send()
                .await
                .unwrap(),
        )
        .await;
    }
    let me = format!("/v2/Services/{service}/Users/{alice_sid}/Channels/{ch}");
    let uc = ok_json(
        app.user_post(&alice, &me, &[("LastConsumedMessageIndex", "0")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(uc["last_consumed_message_index"].is_null(), "{uc}");
    assert!(uc["unread_messages_count"].is_null(), "{uc}");
    let member = ok_json(app.get(&format!("{ch_path}/Members/alice")).send().await.unwrap()).await;
    assert!(member["last_consumed_message_index"].is_null(), "{member}");
}
