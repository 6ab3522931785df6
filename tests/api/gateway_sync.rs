//! The Sync subset over the client socket: descriptors and items of chat's documents, maps and
//! lists, subscriptions with replay from the change log, live events of REST writes, and who
//! may read what. Driven by a raw twilsock client; the real SDKs run in the conformance suite.

use serde_json::{Value, json};

use crate::gateway::{Client, socket_of as socket};
use crate::harness::users::EndUser;
use crate::harness::{TestApp, created, ok_json};

impl Client {
    /// A tunnelled request with query `params` and a JSON `body`; the HTTP status and body.
    /// Notifications that arrive before the reply are kept in `early`.
    pub(crate) async fn call(
        &mut self,
        method: &str,
        path: &str,
        params: Value,
        body: Option<Value>,
        early: &mut Vec<Value>,
    ) -> (u64, Value) {
        let id = format!("TM{}", crate::harness::random_hex());
        let header = json!({"id": id, "method": "message", "active_grant": "ip_messaging",
                            "payload_type": "application/json",
                            "http_request": {"host": "cds.us1.twilio.com", "path": path, "method": method,
                                             "params": params, "headers": {"Content-Type": "application/json"}}});
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        self.send(header, &payload).await;
        loop {
            let f = self.frame().await;
            if f.method() == Some("notification") {
                early.push(serde_json::from_slice(&f.payload).expect("json notification"));
                continue;
            }
            assert_eq!(f.id(), Some(id.as_str()), "{:?}", f.header);
            let status = f.header["http_status"]["code"].as_u64().expect("http_status");
            return (status, serde_json::from_slice(&f.payload).unwrap_or(Value::Null));
        }
    }

    pub(crate) async fn get(&mut self, path: &str, params: Value) -> (u64, Value) {
        self.call("GET", path, params, None, &mut Vec::new()).await
    }

    /// The next Sync notification's payload.
    pub(crate) async fn event(&mut self) -> Value {
        loop {
            let f = self.frame().await;
            if f.method() == Some("notification") {
                assert_eq!(f.header["message_type"], "twilio.sync.event");
                return serde_json::from_slice(&f.payload).expect("json notification");
            }
        }
    }

    /// Subscribes to `objects` (sid, type, last event id); returns the notifications up to
    /// and including the terminal message of each.
    pub(crate) async fn subscribe(&mut self, objects: &[(&str, &str, Option<i64>)]) -> Vec<Value> {
        let requests: Vec<Value> = objects
            .iter()
            .map(|(sid, t, last)| json!({"object_sid": sid, "object_type": t, "last_event_id": last}))
            .collect();
        let body = json!({"event_protocol_version": 4, "action": "establish", "correlation_id": 1234,
                          "retried_requests": 0, "ttl_in_s": -1, "requests": requests});
        let mut seen = Vec::new();
        let (status, reply) = self
            .call("POST", "/v4/Subscriptions", json!({}), Some(body), &mut seen)
            .await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["max_batch_size"], 100);
        assert!(reply["estimated_delivery_in_ms"].as_u64().unwrap() > 0);
        let terminal = |e: &Value| e["event_type"].as_str().unwrap().starts_with("subscription_");
        while seen.iter().filter(|e| terminal(e)).count() < objects.len() {
            seen.push(self.event().await);
        }
        seen
    }
}

pub(crate) struct World {
    pub(crate) service: String,
    pub(crate) ch: String,
    pub(crate) ch_path: String,
    pub(crate) alice: EndUser,
    pub(crate) alice_sid: String,
}

/// A service with a private channel `alice` is a member of, and `n` messages from REST.
pub(crate) async fn world(app: &TestApp, n: usize) -> World {
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let ch = created(
        app.post(
            &format!("/v2/Services/{service}/Channels"),
            &[
                ("FriendlyName", "Project X"),
                ("Type", "private"),
                ("Attributes", r#"{"topic":"q3"}"#),
            ],
        )
        .send()
        .await
        .unwrap(),
    )
    .await["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let ch_path = format!("/v2/Services/{service}/Channels/{ch}");
    let alice = app.member(&ch_path, "alice").await;
    for i in 0..n {
        let body = format!("m{i}");
        created(
            app.post(&format!("{ch_path}/Messages"), &[("Body", &body), ("From", "bob")])
                .send()
                .await
                .unwrap(),
        )
        .await;
    }
    let user = ok_json(
        app.get(&format!("/v2/Services/{service}/Users/alice"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    World {
        service,
        ch,
        ch_path,
        alice,
        alice_sid: user["sid"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn gateway_sync_descriptors_and_items_show_the_chat_data() {
    let app = TestApp::spawn().await;
    let w = world(&app, 5).await;
    let mut c = socket(&app, &w.alice).await;

    // The user's channels map, by unique name, and its items.
    let (status, map) = c.get(&format!("/v3/Maps/{}.channels", w.alice_sid), json!({})).await;
    assert_eq!(status, 200, "{map}");
    let map_sid = map["sid"].as_str().unwrap();
    assert!(map_sid.starts_with("MC") && map_sid.len() == 34, "{map}");
    assert!(map["last_event_id"].as_i64().unwrap() > 0);
    let items_url = map["links"]["items"].as_str().unwrap();
    assert!(items_url.starts_with(&app.base), "{items_url}");
    let items_path = items_url.trim_start_matches(&app.base).to_owned();
    let (_, page) = c.get(&items_path, json!({"PageSize": "10", "Order": "asc"})).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["key"], w.ch.as_str());
    assert_eq!(items[0]["data"]["channel"], format!("{}.channel", w.ch));
    assert_eq!(items[0]["data"]["status"], "joined");
    assert_eq!(items[0]["data"]["type"], "private");
    assert_eq!(page["meta"], json!({"previous_token": null, "next_token": null}));
    // The same map by SID.
    let (_, by_sid) = c.get(&format!("/v3/Maps/{map_sid}"), json!({})).await;
    assert_eq!(by_sid["unique_name"], format!("{}.channels", w.alice_sid));

    // The info map with its items.
    let (_, info) = c
        .get(&format!("/v3/Maps/{}.info", w.alice_sid), json!({"Include": "items"}))
        .await;
    let keys: Vec<&str> = info["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["attributes", "friendlyName", "reachability"]);

    // The roster: each member with the name of its user's info map (read in one query).
    let (_, roster) = c.get(&format!("/v3/Maps/{}.roster/Items", w.ch), json!({})).await;
    let members = roster["items"].as_array().unwrap();
    assert_eq!(members.len(), 1, "{roster}");
    assert_eq!(members[0]["data"]["identity"], "alice");
    assert_eq!(members[0]["data"]["userInfo"], format!("{}.info", w.alice_sid));

    // The channel document.
    let (_, doc) = c.get(&format!("/v3/Documents/{}.channel", w.ch), json!({})).await;
    assert!(doc["sid"].as_str().unwrap().starts_with("ET"));
    assert_eq!(doc["data"]["friendlyName"], "Project X");
    assert_eq!(doc["data"]["attributes"], r#"{"topic":"q3"}"#);
    assert_eq!(doc["data"]["lastMessage"]["index"], 4);
    assert_eq!(doc["data"]["messages"], format!("{}.messages", w.ch));

    // The messages list, newest first, two at a time, then from index 2 onwards.
    let (_, list) = c.get(&format!("/v3/Lists/{}.messages", w.ch), json!({})).await;
    let list_items = list["links"]["items"]
        .as_str()
        .unwrap()
        .trim_start_matches(&app.base)
        .to_owned();
    let (_, newest) = c.get(&list_items, json!({"PageSize": "2", "Order": "desc"})).await;
    let indexes = |p: &Value| {
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["index"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(indexes(&newest), [4, 3]);
    assert_eq!(newest["items"][0]["data"]["text"], "m4");
    assert_eq!(newest["items"][0]["data"]["author"], "bob");
    assert!(newest["meta"]["next_token"].is_string() && newest["meta"]["previous_token"].is_null());
    let (_, middle) = c
        .get(&list_items, json!({"From": "2", "PageSize": "2", "Order": "asc"}))
        .await;
    assert_eq!(indexes(&middle), [2, 3]);
    assert!(middle["meta"]["next_token"].is_string() && middle["meta"]["previous_token"].is_string());
    // A token continues the same order and size (the older Sync client pages that way).
    let token = newest["meta"]["next_token"].as_str().unwrap();
    let (_, older) = c.get(&list_items, json!({"PageToken": token})).await;
    assert_eq!(indexes(&older), [2, 1]);
    let (_, one) = c.get(&list_items, json!({"Index": "3"})).await;
    assert_eq!(indexes(&one), [3]);
    let (_, none) = c.get(&list_items, json!({"Index": "99"})).await;
    assert_eq!(none["items"], json!([]));
}

#[tokio::test]
async fn gateway_sync_subscriptions_replay_missed_events_then_forward_live_ones() {
    let app = TestApp::spawn().await;
    let w = world(&app, 2).await;
    let mut c = socket(&app, &w.alice).await;
    let (_, list) = c.get(&format!("/v3/Lists/{}.messages", w.ch), json!({})).await;
    let list_sid = list["sid"].as_str().unwrap().to_owned();
    let start = list["last_event_id"].as_i64().unwrap();

    // Two messages written through REST while the client is not subscribed yet.
    for body in ["missed 1", "missed 2"] {
        created(
            app.post(&format!("{}/Messages", w.ch_path), &[("Body", body)])
                .send()
                .await
                .unwrap(),
        )
        .await;
    }
    let seen = c.subscribe(&[(&list_sid, "list", Some(start))]).await;
    let replayed: Vec<&Value> = seen.iter().filter(|e| e["event_type"] == "list_item_added").collect();
    assert_eq!(replayed.len(), 2, "{seen:?}");
    assert_eq!(replayed[0]["event"]["item_index"], 2);
    assert_eq!(replayed[0]["event"]["item_data"]["text"], "missed 1");
    assert_eq!(replayed[1]["event"]["item_index"], 3);
    assert!(replayed[0]["event"]["id"].as_i64().unwrap() > start);
    assert!(replayed[1]["event"]["id"].as_i64().unwrap() > replayed[0]["event"]["id"].as_i64().unwrap());
    assert_eq!(replayed[0]["correlation_id"], 1234);
    let established = seen.last().unwrap();
    assert_eq!(established["event_type"], "subscription_established");
    assert_eq!(established["correlation_id"], 1234);
    assert_eq!(established["event"]["replay_status"], "completed");
    assert_eq!(established["event"]["object_sid"], list_sid.as_str());
    let last = established["event"]["last_event_id"].as_i64().unwrap();
    assert_eq!(last, replayed[1]["event"]["id"].as_i64().unwrap());

    // A live message from REST, an edit, and a rename of the channel.
    let m = created(
        app.post(
            &format!("{}/Messages", w.ch_path),
            &[("Body", "live"), ("From", "carol")],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let e = c.event().await;
    assert_eq!(e["event_type"], "list_item_added", "{e}");
    assert_eq!(e["event"]["list_sid"], list_sid.as_str());
    assert_eq!(e["event"]["item_index"], 4);
    assert_eq!(e["event"]["item_data"]["text"], "live");
    assert_eq!(e["event"]["item_data"]["author"], "carol");
    assert_eq!(e["event"]["item_data"]["sid"], m["sid"]);
    assert!(e["event"]["id"].as_i64().unwrap() > last);
    ok_json(
        app.post(
            &format!("{}/Messages/{}", w.ch_path, m["sid"].as_str().unwrap()),
            &[("Body", "edited")],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let e = c.event().await;
    assert_eq!(e["event_type"], "list_item_updated", "{e}");
    assert_eq!(e["event"]["item_data"]["text"], "edited");
}

#[tokio::test]
async fn gateway_sync_channel_roster_and_user_events_reach_subscribers() {
    let app = TestApp::spawn().await;
    let w = world(&app, 0).await;
    let mut c = socket(&app, &w.alice).await;
    let doc_sid = format!("ET{}", &w.ch[2..]);
    let roster_sid = format!("MP{}", &w.ch[2..]);
    let info_sid = format!("MI{}", &w.alice_sid[2..]);
    let mine_sid = format!("MC{}", &w.alice_sid[2..]);
    let seen = c
        .subscribe(&[
            (&doc_sid, "document", None),
            (&roster_sid, "map", None),
            (&info_sid, "map", None),
            (&mine_sid, "map", None),
        ])
        .await;
    assert!(
        seen.iter().all(|e| e["event_type"] == "subscription_established"),
        "{seen:?}"
    );

    ok_json(
        app.post(&w.ch_path, &[("FriendlyName", "Renamed")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let e = c.event().await;
    assert_eq!(e["event_type"], "document_updated", "{e}");
    assert_eq!(e["event"]["document_sid"], doc_sid.as_str());
    assert_eq!(e["event"]["document_data"]["friendlyName"], "Renamed");

    // Bob joins: the roster shows him (alice's own channels map does not change).
    app.member(&w.ch_path, "bob").await;
    let e = c.event().await;
    assert_eq!(e["event_type"], "map_item_added", "{e}");
    assert_eq!(e["event"]["map_sid"], roster_sid.as_str());
    assert_eq!(e["event"]["item_data"]["identity"], "bob");

    // Alice's read horizon: the roster item and her channels item.
    let me = format!("/v2/Services/{}/Users/{}/Channels/{}", w.service, w.alice_sid, w.ch);
    ok_json(
        app.user_post(&w.alice, &me, &[("LastConsumedMessageIndex", "0")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (a, b) = (c.event().await, c.event().await);
    let by_map = |sid: &str| {
        [&a, &b]
            .into_iter()
            .find(|e| e["event"]["map_sid"] == sid)
            .cloned()
            .expect("event")
    };
    assert_eq!(by_map(&roster_sid)["event"]["item_data"]["lastConsumedMessageIndex"], 0);
    assert_eq!(by_map(&mine_sid)["event"]["item_key"], w.ch.as_str());
    assert_eq!(by_map(&mine_sid)["event"]["item_data"]["lastConsumedMessageIndex"], 0);

    // Her friendly name.
    ok_json(
        app.post(
            &format!("/v2/Services/{}/Users/{}", w.service, w.alice_sid),
            &[("FriendlyName", "Alice")],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let mut names = Vec::new();
    for _ in 0..2 {
        let e = c.event().await;
        assert_eq!(e["event"]["map_sid"], info_sid.as_str(), "{e}");
        names.push(e["event"]["item_key"].as_str().unwrap().to_owned());
        if e["event"]["item_key"] == "friendlyName" {
            assert_eq!(e["event"]["item_data"]["value"], "Alice");
        }
    }
    names.sort();
    assert_eq!(names, ["attributes", "friendlyName"]);
}

#[tokio::test]
async fn gateway_sync_reads_and_subscriptions_follow_the_users_permissions() {
    let app = TestApp::spawn().await;
    let w = world(&app, 1).await;
    let bob = app.end_user(&w.service, "bob").await;
    let mut c = socket(&app, &bob).await;

    // Bob is not in the private channel: it does not exist for him.
    let (status, body) = c.get(&format!("/v3/Documents/{}.channel", w.ch), json!({})).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = c.get(&format!("/v3/Lists/{}.messages/Items", w.ch), json!({})).await;
    assert_eq!(status, 404);
    // Alice's channels are hers alone.
    let (status, body) = c.get(&format!("/v3/Maps/{}.channels", w.alice_sid), json!({})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], 50107);
    // Unknown or malformed names.
    for path in [
        "/v3/Maps/nothing",
        "/v3/Documents/ETnothing",
        &format!("/v3/Maps/{}.channel", w.ch),
    ] {
        let (status, _) = c.get(path, json!({})).await;
        assert_eq!(status, 404, "{path}");
    }
    let list_sid = format!("ES{}", &w.ch[2..]);
    let mine = format!("MC{}", &w.alice_sid[2..]);
    let seen = c
        .subscribe(&[(&list_sid, "list", Some(0)), (&mine, "map", Some(0))])
        .await;
    assert_eq!(seen.len(), 2, "nothing is replayed: {seen:?}");
    for e in &seen {
        assert_eq!(e["event_type"], "subscription_failed", "{e}");
        assert_eq!(e["correlation_id"], 1234);
    }
    assert_eq!(seen[0]["event"]["error"]["status"], 404);
    assert_eq!(seen[1]["event"]["error"]["status"], 403);

    // A malformed batch is a 400.
    let mut early = Vec::new();
    let (status, body) = c
        .call(
            "POST",
            "/v4/Subscriptions",
            json!({}),
            Some(json!({"action": "nope"})),
            &mut early,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], 20001);

    // What he may not see never reaches him live either.
    created(
        app.post(&format!("{}/Messages", w.ch_path), &[("Body", "secret")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut early = Vec::new();
    let (status, _) = c
        .call(
            "GET",
            &format!("/v3/Maps/{}.info", w.alice_sid),
            json!({}),
            None,
            &mut early,
        )
        .await;
    assert_eq!(status, 200);
    assert!(early.is_empty(), "{early:?}");
}
