//! The chat ("aim") API through the socket (`CLIENT_PROTOCOL.md` §4.3): reads and commands
//! tunnelled as the SDKs send them, by two identities, checked against the REST API.

use serde_json::{Value, json};

use crate::gateway::{Client, signed_in};
use crate::harness::TestApp;

/// A service with two signed-in sockets, alice's and bob's.
pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) service: String,
    /// `/Client/v2/Services/{IS}`.
    pub(crate) s: String,
    pub(crate) alice: Client,
    pub(crate) bob: Client,
    /// alice's user SID.
    pub(crate) alice_sid: String,
}

impl World {
    pub(crate) async fn new() -> Self {
        let app = TestApp::spawn().await;
        let (service, mut alice) = signed_in(&app, "alice").await;
        let bob_user = app.end_user(&service, "bob").await;
        let mut bob = Client::connect(&app).await;
        bob.init(&bob_user.jwt).await;
        let (_, config) = alice.request_json("GET", "/Client/v2/Configuration", json!(null)).await;
        let _ = bob.request_json("GET", "/Client/v2/Configuration", json!(null)).await;
        let alice_sid = config["sync_objects"]["my_user_info"]
            .as_str()
            .unwrap()
            .trim_end_matches(".info")
            .to_owned();
        let s = format!("/Client/v2/Services/{service}");
        Self {
            app,
            service,
            s,
            alice,
            bob,
            alice_sid,
        }
    }

    /// The path of an absolute URL Banter returned.
    pub(crate) fn path(&self, url: &Value) -> String {
        let url = url.as_str().expect("a URL");
        url.strip_prefix(&self.app.base).expect("under the base URL").to_owned()
    }

    /// alice creates a public channel `general` and joins it; returns its SID.
    pub(crate) async fn general(&mut self) -> String {
        let body = json!({"type": "public", "unique_name": "general", "friendly_name": "General",
                          "attributes": "{\"k\":1}"});
        let (status, ch) = self
            .alice
            .request_json("POST", &format!("{}/Conversations", self.s), body)
            .await;
        assert_eq!(status, 201, "{ch}");
        let sid = ch["sid"].as_str().unwrap().to_owned();
        let join = json!({"identity": "alice"});
        let path = format!("{}/Conversations/{sid}/Participants", self.s);
        let (status, p) = self.alice.request_json("POST", &path, join).await;
        assert_eq!(status, 201, "{p}");
        sid
    }
}

pub(crate) fn assert_error(status: u16, body: &Value, want_status: u16, code: u64) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["status"], want_status, "{body}");
    assert_eq!(body["code"], code, "{body}");
}

#[tokio::test]
async fn gateway_aim_alice_creates_joins_and_sends_and_bob_sees_the_channel() {
    // Arrange
    let mut w = World::new().await;
    let s = w.s.clone();

    // Act: create (A8), join (A11), send (A16)
    let body = json!({"type": "public", "unique_name": "general", "friendly_name": "General",
                      "attributes": "{\"k\":1}"});
    let (status, ch) = w.alice.request_json("POST", &format!("{s}/Conversations"), body).await;
    assert_eq!(status, 201, "{ch}");
    let sid = ch["sid"].as_str().unwrap().to_owned();
    let conv = format!("{s}/Conversations/{sid}");
    let (status, p) = w
        .alice
        .request_json("POST", &format!("{conv}/Participants"), json!({"identity": "alice"}))
        .await;
    assert_eq!(status, 201, "{p}");
    let (status, m) = w
        .alice
        .request_json(
            "POST",
            &format!("{conv}/Messages"),
            json!({"body": "hi bob", "attributes": "{}"}),
        )
        .await;
    assert_eq!(status, 201, "{m}");

    // Assert: the representations
    assert!(sid.starts_with("CH") && sid.len() == 34);
    let url = format!("{}{conv}", w.app.base);
    assert_eq!(ch["url"], url);
    assert_eq!(ch["status"], "notParticipating", "create does not join");
    assert_eq!(ch["type"], "public");
    assert_eq!(ch["unique_name"], "general");
    assert_eq!(ch["friendly_name"], "General");
    assert_eq!(ch["attributes"], "{\"k\":1}");
    assert_eq!(ch["created_by"], "alice");
    assert_eq!(ch["sync_objects"]["conversation"], format!("{sid}.channel"));
    assert_eq!(ch["sync_objects"]["messages"], format!("{sid}.messages"));
    assert_eq!(ch["sync_objects"]["participants"], format!("{sid}.roster"));
    assert_eq!(ch["links"]["messages"], format!("{url}/Messages"));
    assert_eq!(ch["links"]["participants"], format!("{url}/Participants"));
    assert_eq!(ch["links"]["invites"], format!("{url}/Invites"));
    assert_eq!(p["identity"], "alice");
    assert_eq!(p["conversation_sid"], sid.as_str());
    assert_eq!(p["chat_service_sid"], w.service.as_str());
    assert!(p["sid"].as_str().unwrap().starts_with("MB"));
    assert_eq!(p["attributes"], "{}");
    assert_eq!(p["url"], format!("{url}/Participants/{}", p["sid"].as_str().unwrap()));
    assert_eq!(m["index"], 0);
    assert_eq!(m["author"], "alice");
    assert_eq!(m["body"], "hi bob");
    assert_eq!(m["attributes"], "{}");
    assert_eq!(m["url"], format!("{url}/Messages/{}", m["sid"].as_str().unwrap()));

    // The REST API shows the message, from alice.
    let rest = w
        .app
        .get_json(&format!("/v2/Services/{}/Channels/{sid}/Messages", w.service))
        .await;
    assert_eq!(rest["messages"][0]["from"], "alice");
    assert_eq!(rest["messages"][0]["body"], "hi bob");
    assert_eq!(rest["messages"][0]["sid"], m["sid"]);

    // A7: alice joined; bob does not participate; by SID or unique name.
    let (status, mine) = w.alice.request_json("GET", &conv, json!(null)).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["status"], "joined");
    assert_eq!(mine["messages_count"], 1);
    assert_eq!(mine["participants_count"], 1);
    let (status, bobs) = w
        .bob
        .request_json("GET", &format!("{s}/Conversations/general"), json!(null))
        .await;
    assert_eq!(status, 200, "{bobs}");
    assert_eq!(bobs["sid"], sid.as_str());
    assert_eq!(bobs["status"], "notParticipating");
    assert_eq!(bobs["last_consumed_message_index"], Value::Null);

    // A6: bob lists the public channels.
    let (status, list) = w
        .bob
        .request_json("GET", &format!("{s}/Conversations"), json!(null))
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["conversations"].as_array().unwrap().len(), 1);
    assert_eq!(list["conversations"][0]["sid"], sid.as_str());
    assert_eq!(list["conversations"][0]["status"], "notParticipating");
    assert_eq!(list["meta"], json!({"previous_token": null, "next_token": null}));
}

#[tokio::test]
async fn gateway_aim_my_conversations_show_status_horizon_and_unread_count() {
    // Arrange
    let mut w = World::new().await;
    let sid = w.general().await;
    let conv = format!("{}/Conversations/{sid}", w.s);
    for body in ["one", "two"] {
        let (status, _) = w
            .alice
            .request_json("POST", &format!("{conv}/Messages"), json!({"body": body}))
            .await;
        assert_eq!(status, 201);
    }
    let mine = format!("{}/Users/{}/Conversations", w.s, w.alice_sid);

    // Act / Assert: A2
    let (status, list) = w.alice.request_json("GET", &mine, json!(null)).await;
    assert_eq!(status, 200, "{list}");
    let item = &list["conversations"][0];
    assert_eq!(list["conversations"].as_array().unwrap().len(), 1);
    assert_eq!(list["meta"], json!({"next_token": null, "previous_token": null}));
    assert_eq!(item["conversation_sid"], sid.as_str());
    assert_eq!(item["status"], "joined");
    assert!(item["participant_sid"].as_str().unwrap().starts_with("MB"));
    assert_eq!(item["unique_name"], "general");
    assert_eq!(item["attributes"], "{\"k\":1}");
    assert_eq!(item["messages_count"], 2);
    assert_eq!(item["last_consumed_message_index"], Value::Null);
    assert_eq!(item["unread_messages_count"], Value::Null);
    assert_eq!(item["notification_level"], "default");
    assert_eq!(item["sync_objects"]["conversation"], format!("{sid}.channel"));
    assert_eq!(item["url"], format!("{}{mine}/{sid}", w.app.base));

    // A3 by SID and by unique name.
    for key in [sid.as_str(), "general"] {
        let (status, one) = w.alice.request_json("GET", &format!("{mine}/{key}"), json!(null)).await;
        assert_eq!(status, 200, "{one}");
        assert_eq!(one["conversation_sid"], sid.as_str());
    }

    // A4 (chat's name, then conversations' name; null clears), A5.
    let one = format!("{mine}/{sid}");
    let (status, uc) = w
        .alice
        .request_json("POST", &one, json!({"last_consumed_message_index": 0}))
        .await;
    assert_eq!(status, 200, "{uc}");
    assert_eq!(uc["last_consumed_message_index"], 0);
    assert_eq!(uc["last_read_message_index"], 0);
    assert_eq!(uc["unread_messages_count"], 1);
    let (_, uc) = w
        .alice
        .request_json("POST", &one, json!({"last_read_message_index": 1}))
        .await;
    assert_eq!(uc["unread_messages_count"], 0);
    let (_, uc) = w
        .alice
        .request_json("POST", &one, json!({"last_read_message_index": null}))
        .await;
    assert_eq!(uc["last_read_message_index"], Value::Null);
    assert_eq!(uc["unread_messages_count"], Value::Null);
    let (status, uc) = w
        .alice
        .request_json("POST", &one, json!({"notification_level": "muted"}))
        .await;
    assert_eq!(status, 200, "{uc}");
    assert_eq!(uc["notification_level"], "muted");

    // Only one's own channels: bob may not read alice's.
    let (status, body) = w.bob.request_json("GET", &mine, json!(null)).await;
    assert_error(status, &body, 403, 50107);
    let (status, body) = w
        .bob
        .request_json("POST", &one, json!({"notification_level": "muted"}))
        .await;
    assert_error(status, &body, 403, 50107);
}

#[tokio::test]
async fn gateway_aim_channel_update_and_delete() {
    // Arrange
    let mut w = World::new().await;
    let sid = w.general().await;
    let conv = format!("{}/Conversations/{sid}", w.s);

    // Act / Assert: A9, one field at a time
    let (status, ch) = w
        .alice
        .request_json("POST", &conv, json!({"friendly_name": "Renamed"}))
        .await;
    assert_eq!(status, 200, "{ch}");
    assert_eq!(ch["friendly_name"], "Renamed");
    assert_eq!(ch["status"], "joined");
    let (_, ch) = w
        .alice
        .request_json("POST", &conv, json!({"attributes": "{\"x\":2}"}))
        .await;
    assert_eq!(ch["attributes"], "{\"x\":2}");
    assert_eq!(ch["unique_name"], "general");
    let (_, ch) = w.alice.request_json("POST", &conv, json!({"unique_name": ""})).await;
    assert_eq!(ch["unique_name"], Value::Null, "an empty unique name clears it");

    // bob (not a member, the service user role) may not rename or delete.
    let (status, body) = w
        .bob
        .request_json("POST", &conv, json!({"friendly_name": "Mine"}))
        .await;
    assert_error(status, &body, 403, 50107);
    let (status, body) = w.bob.request_json("DELETE", &conv, json!(null)).await;
    assert_error(status, &body, 403, 50107);

    // A10
    let (status, body) = w.alice.request_json("DELETE", &conv, json!(null)).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, body) = w.alice.request_json("GET", &conv, json!(null)).await;
    assert_error(status, &body, 404, 20404);
}

#[tokio::test]
async fn gateway_aim_messages_are_edited_and_deleted() {
    // Arrange
    let mut w = World::new().await;
    let sid = w.general().await;
    let messages = format!("{}/Conversations/{sid}/Messages", w.s);
    let (_, m) = w.alice.request_json("POST", &messages, json!({"body": "helo"})).await;
    let one = format!("{messages}/{}", m["sid"].as_str().unwrap());

    // Act / Assert: A17 body, then attributes
    let (status, m) = w.alice.request_json("POST", &one, json!({"body": "hello"})).await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["body"], "hello");
    assert_eq!(m["index"], 0);
    let (_, m) = w
        .alice
        .request_json("POST", &one, json!({"attributes": "{\"e\":1}"}))
        .await;
    assert_eq!(m["attributes"], "{\"e\":1}");
    assert_eq!(m["body"], "hello");

    // bob (not a member) may not edit; a second message gets the next index.
    let (status, body) = w.bob.request_json("POST", &one, json!({"body": "mine"})).await;
    assert_error(status, &body, 403, 50107);
    let (_, m2) = w
        .alice
        .request_json("POST", &messages, json!({"body": "again", "attributes": "{}"}))
        .await;
    assert_eq!(m2["index"], 1);

    // A18
    let (status, body) = w.alice.request_json("DELETE", &one, json!(null)).await;
    assert_eq!((status, body), (204, Value::Null));
    let rest = w
        .app
        .get_json(&format!("/v2/Services/{}/Channels/{sid}/Messages", w.service))
        .await;
    assert_eq!(rest["messages"].as_array().unwrap().len(), 1);
    assert_eq!(rest["messages"][0]["body"], "again");
}

#[tokio::test]
async fn gateway_aim_typing_answers_the_service_timeout_to_members() {
    // Arrange
    let mut w = World::new().await;
    let sid = w.general().await;
    let typing = format!("{}/Typing", w.s);
    let form = format!("ChannelSid={sid}");

    // Act
    let (status, body) = w
        .alice
        .request_with(
            "POST",
            &typing,
            json!({}),
            json!({}),
            "application/x-www-form-urlencoded",
            &form,
        )
        .await;

    // Assert
    assert_eq!((status, body), (200, json!({"typing_timeout": 5})));
    let (status, body) = w
        .bob
        .request_with(
            "POST",
            &typing,
            json!({}),
            json!({}),
            "application/x-www-form-urlencoded",
            &form,
        )
        .await;
    assert_error(status, &body, 404, 20404);
}
