//! The chat ("aim") API through the socket (`CLIENT_PROTOCOL.md` §4.3): reads and commands
//! tunnelled as the SDKs send them, by two identities, checked against the REST API.

use serde_json::{Value, json};

use crate::gateway::{Client, signed_in};
use crate::harness::{TestApp, created};

/// A service with two signed-in sockets, alice's and bob's.
struct World {
    app: TestApp,
    service: String,
    /// `/Client/v2/Services/{IS}`.
    s: String,
    alice: Client,
    bob: Client,
    /// alice's user SID.
    alice_sid: String,
}

impl World {
    async fn new() -> Self {
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
    fn path(&self, url: &Value) -> String {
        let url = url.as_str().expect("a URL");
        url.strip_prefix(&self.app.base).expect("under the base URL").to_owned()
    }

    /// alice creates a public channel `general` and joins it; returns its SID.
    async fn general(&mut self) -> String {
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

fn assert_error(status: u16, body: &Value, want_status: u16, code: u64) {
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
async fn gateway_aim_participants_join_update_and_leave() {
    // Arrange
    let mut w = World::new().await;
    let sid = w.general().await;
    let participants = format!("{}/Conversations/{sid}/Participants", w.s);

    // Act / Assert: bob joins (A11), edits his attributes (A13), leaves by identity (A12).
    let (status, p) = w
        .bob
        .request_json("POST", &participants, json!({"identity": "bob"}))
        .await;
    assert_eq!(status, 201, "{p}");
    let mb = p["sid"].as_str().unwrap().to_owned();
    let (status, body) = w
        .bob
        .request_json("POST", &participants, json!({"identity": "bob"}))
        .await;
    assert_error(status, &body, 409, 50404);
    let (status, p) = w
        .bob
        .request_json(
            "POST",
            &format!("{participants}/{mb}"),
            json!({"attributes": "{\"a\":true}"}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["attributes"], "{\"a\":true}");
    let (status, body) = w
        .bob
        .request_json("DELETE", &format!("{participants}/bob"), json!(null))
        .await;
    assert_eq!((status, body), (204, Value::Null));
    let (_, ch) = w
        .bob
        .request_json("GET", &format!("{}/Conversations/{sid}", w.s), json!(null))
        .await;
    assert_eq!(ch["status"], "notParticipating");

    // alice adds carol (an identity with a space and @), then removes her by member SID.
    let (status, p) = w
        .alice
        .request_json(
            "POST",
            &participants,
            json!({"identity": "carol x@example.com", "attributes": "{}"}),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    assert_eq!(p["identity"], "carol x@example.com");
    let path = format!("{participants}/{}", p["sid"].as_str().unwrap());
    let (status, _) = w.alice.request_json("DELETE", &path, json!(null)).await;
    assert_eq!(status, 204);
    let rest = w
        .app
        .get_json(&format!("/v2/Services/{}/Channels/{sid}/Members", w.service))
        .await;
    assert_eq!(rest["members"].as_array().unwrap().len(), 1);
    assert_eq!(rest["members"][0]["identity"], "alice");

    // Unusual members: a non-chat participant is not supported.
    let body = json!({"attributes": "{}", "messaging_binding": {"address": "+1555", "proxy_address": "+1666"}});
    let (status, body) = w.alice.request_json("POST", &participants, body).await;
    assert_error(status, &body, 400, 20001);
}

#[tokio::test]
async fn gateway_aim_invite_then_decline_by_identity() {
    // Arrange: a private channel of alice's
    let mut w = World::new().await;
    let body = json!({"type": "private", "friendly_name": "Secret", "attributes": "{}"});
    let (status, ch) = w
        .alice
        .request_json("POST", &format!("{}/Conversations", w.s), body)
        .await;
    assert_eq!(status, 201, "{ch}");
    assert_eq!(ch["type"], "private");
    let sid = ch["sid"].as_str().unwrap().to_owned();
    let conv = format!("{}/Conversations/{sid}", w.s);
    let (status, _) = w
        .alice
        .request_json("POST", &format!("{conv}/Participants"), json!({"identity": "alice"}))
        .await;
    assert_eq!(status, 201);
    let (status, body) = w.bob.request_json("GET", &conv, json!(null)).await;
    assert_error(status, &body, 404, 20404);

    // Act: A14
    let (status, inv) = w
        .alice
        .request_json("POST", &format!("{conv}/Invites"), json!({"identity": "bob"}))
        .await;

    // Assert
    assert_eq!(status, 201, "{inv}");
    assert_eq!(inv["identity"], "bob");
    let (_, cfg) = w.bob.request_json("GET", "/Client/v2/Configuration", json!(null)).await;
    let bobs = w.path(&cfg["links"]["my_conversations"]);
    let (status, list) = w.bob.request_json("GET", &bobs, json!(null)).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["conversations"][0]["conversation_sid"], sid.as_str());
    assert_eq!(list["conversations"][0]["status"], "invited");
    let (_, seen) = w.bob.request_json("GET", &conv, json!(null)).await;
    assert_eq!(seen["status"], "invited");

    // A15: bob declines his own invite, named by identity.
    let (status, body) = w
        .bob
        .request_json("DELETE", &format!("{conv}/Invites/bob"), json!(null))
        .await;
    assert_eq!((status, body), (204, Value::Null));
    let (_, list) = w.bob.request_json("GET", &bobs, json!(null)).await;
    assert_eq!(list["conversations"], json!([]));
    let (status, body) = w
        .bob
        .request_json("DELETE", &format!("{conv}/Invites/bob"), json!(null))
        .await;
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
async fn gateway_aim_users_are_described_listed_and_updated() {
    // Arrange
    let mut w = World::new().await;
    let sid = w.general().await;
    let participants = format!("{}/Conversations/{sid}/Participants", w.s);
    w.bob
        .request_json("POST", &participants, json!({"identity": "bob"}))
        .await;

    // Act / Assert: A19
    let (status, u) = w
        .bob
        .request_json("GET", &format!("{}/Users/alice", w.s), json!(null))
        .await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(u["sid"], w.alice_sid.as_str());
    assert_eq!(u["identity"], "alice");
    assert_eq!(u["attributes"], "{}");
    assert_eq!(u["is_online"], false);
    let info = format!("{}.info", w.alice_sid);
    assert_eq!(u["sync_objects"]["user_info_map"], info.as_str());
    assert_eq!(u["sync_unique_name"], info.as_str());
    assert_eq!(u["url"], format!("{}{}/Users/alice", w.app.base, w.s));

    // A21: one's own friendly name and attributes; not someone else's.
    let me = format!("{}/Users/alice", w.s);
    let (status, u) = w
        .alice
        .request_json("POST", &me, json!({"friendly_name": "Alice A."}))
        .await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(u["friendly_name"], "Alice A.");
    let (_, u) = w
        .alice
        .request_json("POST", &me, json!({"attributes": "{\"c\":\"red\"}"}))
        .await;
    assert_eq!(u["attributes"], "{\"c\":\"red\"}");
    let (status, body) = w
        .bob
        .request_json("POST", &me, json!({"friendly_name": "Not Alice"}))
        .await;
    assert_error(status, &body, 403, 50107);

    // A20: the channel's members as users.
    let (status, list) = w
        .bob
        .request_with(
            "GET",
            &format!("{}/Users", w.s),
            json!({"ConversationSid": sid}),
            json!({}),
            "application/json",
            "",
        )
        .await;
    assert_eq!(status, 200, "{list}");
    let identities: Vec<&str> = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["identity"].as_str().unwrap())
        .collect();
    assert_eq!(identities, ["alice", "bob"]);
    assert_eq!(list["users"][0]["friendly_name"], "Alice A.");
    assert_eq!(list["meta"], json!({"prev_token": null, "next_token": null}));
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

#[tokio::test]
async fn gateway_aim_conversations_extras_are_empty() {
    // Arrange
    let mut w = World::new().await;
    let sid = w.general().await;
    let conv = format!("{}/Conversations/{sid}", w.s);
    let (_, m) = w
        .alice
        .request_json("POST", &format!("{conv}/Messages"), json!({"body": "x"}))
        .await;
    let message = format!("{conv}/Messages/{}", m["sid"].as_str().unwrap());
    let empty_meta = json!({"previous_token": null, "next_token": null});

    // Act / Assert: A23–A26
    let (status, r) = w
        .alice
        .request_json("GET", &format!("{message}/Receipts"), json!(null))
        .await;
    assert_eq!((status, r), (200, json!({"delivery_receipts": [], "meta": empty_meta})));
    let (status, r) = w
        .alice
        .request_json("GET", &format!("{message}/ChannelMetadata"), json!(null))
        .await;
    assert_error(status, &r, 404, 50530);
    let (status, r) = w
        .alice
        .request_json("GET", &format!("{conv}/MessageRecipients"), json!(null))
        .await;
    assert_eq!(
        (status, r),
        (200, json!({"message_recipients": [], "meta": empty_meta}))
    );
    let (status, r) = w
        .alice
        .request_with(
            "GET",
            "/Client/v2/ContentTemplates",
            json!({"PageSize": "100"}),
            json!({}),
            "application/json",
            "",
        )
        .await;
    assert_eq!((status, r), (200, json!({"templates": [], "meta": empty_meta})));
}

#[tokio::test]
async fn gateway_aim_refusals_not_found_and_bad_bodies_are_twilio_errors() {
    // Arrange: alice is a member whose channel role lacks sendMessage.
    let mut w = World::new().await;
    let sp = format!("/v2/Services/{}", w.service);
    let role = created(
        w.app
            .post(
                &format!("{sp}/Roles"),
                &[
                    ("FriendlyName", "mute"),
                    ("Type", "channel"),
                    ("Permission", "leaveChannel"),
                ],
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    let ch = created(w.app.post(&format!("{sp}/Channels"), &[]).send().await.unwrap()).await;
    let sid = ch["sid"].as_str().unwrap().to_owned();
    let form = [("Identity", "alice"), ("RoleSid", role["sid"].as_str().unwrap())];
    created(
        w.app
            .post(&format!("{sp}/Channels/{sid}/Members"), &form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let conv = format!("{}/Conversations/{sid}", w.s);

    // Act / Assert: a missing permission
    let (status, body) = w
        .alice
        .request_json("POST", &format!("{conv}/Messages"), json!({"body": "hi"}))
        .await;
    assert_error(status, &body, 403, 50107);
    assert!(body["message"].as_str().unwrap().contains("sendMessage"), "{body}");

    // Unknown channel, another service in the path.
    let (status, body) = w
        .alice
        .request_json(
            "GET",
            &format!("{}/Conversations/CH00000000000000000000000000000000", w.s),
            json!(null),
        )
        .await;
    assert_error(status, &body, 404, 20404);
    let (status, body) = w
        .alice
        .request_json(
            "POST",
            &format!("{}/Conversations/nope/Messages", w.s),
            json!({"body": "x"}),
        )
        .await;
    assert_error(status, &body, 404, 20404);
    let other = "/Client/v2/Services/IS00000000000000000000000000000000/Conversations";
    let (status, body) = w.alice.request_json("GET", other, json!(null)).await;
    assert_error(status, &body, 404, 20404);

    // Malformed bodies.
    let create = format!("{}/Conversations", w.s);
    let (status, body) = w
        .alice
        .request_with("POST", &create, json!({}), json!({}), "application/json", "{not json")
        .await;
    assert_error(status, &body, 400, 20001);
    let (status, body) = w.alice.request_json("POST", &create, json!(["a"])).await;
    assert_error(status, &body, 400, 20001);
    let (status, body) = w
        .alice
        .request_json("POST", &create, json!({"attributes": {"k": 1}}))
        .await;
    assert_error(status, &body, 400, 20001);
    let (status, body) = w
        .alice
        .request_json("POST", &create, json!({"attributes": "{nope"}))
        .await;
    assert_error(status, &body, 400, 50304);
    let (status, body) = w.alice.request_json("POST", &create, json!({"type": "secret"})).await;
    assert_error(status, &body, 400, 20001);
    let (status, body) = w
        .alice
        .request_json("POST", &format!("{conv}/Messages"), json!({"media_sid": "nope"}))
        .await;
    assert_error(status, &body, 400, 20001);
    let mine = format!("{}/Users/{}/Conversations/{sid}", w.s, w.alice_sid);
    let (status, body) = w
        .alice
        .request_json("POST", &mine, json!({"last_consumed_message_index": "3"}))
        .await;
    assert_error(status, &body, 400, 20001);
    let (status, body) = w.alice.request_json("POST", &mine, json!({})).await;
    assert_error(status, &body, 400, 20001);
}

#[tokio::test]
async fn gateway_aim_a_repeated_mutation_id_is_answered_without_running_twice() {
    // Arrange
    let mut w = World::new().await;
    let create = format!("{}/Conversations", w.s);
    let body = json!({"type": "public", "friendly_name": "Once", "attributes": "{}"}).to_string();
    let once = json!({"X-Twilio-Mutation-Id": "6f1c0d2e-0000-4000-8000-000000000001"});
    let json_type = "application/json; charset=utf-8";

    // Act: the same create twice
    let (status, first) = w
        .alice
        .request_with("POST", &create, json!({}), once.clone(), json_type, &body)
        .await;
    let (again_status, again) = w
        .alice
        .request_with("POST", &create, json!({}), once.clone(), json_type, &body)
        .await;

    // Assert: 202 with the resource's URL, which the SDK then reads; one channel only.
    assert_eq!(status, 201, "{first}");
    assert_eq!(again_status, 202, "{again}");
    assert_eq!(again, json!({"resource_url": first["url"]}));
    let (status, fetched) = w
        .alice
        .request_json("GET", &w.path(&again["resource_url"]), json!(null))
        .await;
    assert_eq!(status, 200);
    assert_eq!(fetched["sid"], first["sid"]);
    let rest = w.app.get_json(&format!("/v2/Services/{}/Channels", w.service)).await;
    assert_eq!(rest["channels"].as_array().unwrap().len(), 1);

    // The id is alice's: bob's command with the same id runs.
    let (status, _) = w
        .bob
        .request_with("POST", &create, json!({}), once.clone(), json_type, &body)
        .await;
    assert_eq!(status, 201);

    // A repeated update is answered with the first result, a repeated delete with its 204.
    let sid = first["sid"].as_str().unwrap();
    let conv = format!("{create}/{sid}");
    let (status, _) = w
        .alice
        .request_json("POST", &format!("{conv}/Participants"), json!({"identity": "alice"}))
        .await;
    assert_eq!(status, 201);
    let rename = json!({"X-Twilio-Mutation-Id": "m-rename"});
    let (_, renamed) = w
        .alice
        .request_with(
            "POST",
            &conv,
            json!({}),
            rename.clone(),
            json_type,
            r#"{"friendly_name":"A"}"#,
        )
        .await;
    let (status, repeated) = w
        .alice
        .request_with("POST", &conv, json!({}), rename, json_type, r#"{"friendly_name":"B"}"#)
        .await;
    assert_eq!((status, &repeated), (200, &renamed));
    assert_eq!(repeated["friendly_name"], "A");
    let delete = json!({"X-Twilio-Mutation-Id": "m-delete"});
    for _ in 0..2 {
        let (status, body) = w
            .alice
            .request_with("DELETE", &conv, json!({}), delete.clone(), json_type, "null")
            .await;
        assert_eq!((status, body), (204, Value::Null));
    }
    let deleted = conv;

    // Repeated creates of a message, a member and an invite point at resources the SDK can read.
    let sid = w.general().await;
    let conv = format!("{create}/{sid}");
    let cases = [
        ("m-send", format!("{conv}/Messages"), r#"{"body":"once"}"#, "index"),
        (
            "m-join",
            format!("{conv}/Participants"),
            r#"{"identity":"bob"}"#,
            "identity",
        ),
        (
            "m-invite",
            format!("{conv}/Invites"),
            r#"{"identity":"carol"}"#,
            "identity",
        ),
    ];
    w.app
        .post(&format!("/v2/Services/{}/Users", w.service), &[("Identity", "carol")])
        .send()
        .await
        .unwrap();
    for (id, path, body, field) in cases {
        let headers = json!({"X-Twilio-Mutation-Id": id});
        let (status, first) = w
            .alice
            .request_with("POST", &path, json!({}), headers.clone(), json_type, body)
            .await;
        assert_eq!(status, 201, "{id}: {first}");
        let (status, again) = w
            .alice
            .request_with("POST", &path, json!({}), headers, json_type, body)
            .await;
        assert_eq!(status, 202, "{id}: {again}");
        let (status, read) = w
            .alice
            .request_json("GET", &w.path(&again["resource_url"]), json!(null))
            .await;
        assert_eq!(status, 200, "{id}: {read}");
        assert_eq!(read[field], first[field], "{id}");
        assert_eq!(read["sid"], first["sid"], "{id}");
    }
    let rest = w
        .app
        .get_json(&format!("/v2/Services/{}/Channels/{sid}/Messages", w.service))
        .await;
    assert_eq!(rest["messages"].as_array().unwrap().len(), 1);

    // A refused command is not remembered: with the same id it runs (and is refused) again.
    let refused = json!({"X-Twilio-Mutation-Id": "m-refused"});
    for _ in 0..2 {
        let (status, body) = w
            .alice
            .request_with("DELETE", &deleted, json!({}), refused.clone(), json_type, "null")
            .await;
        assert_error(status, &body, 404, 20404);
    }
}

#[tokio::test]
async fn gateway_aim_lists_page_by_50_with_opaque_tokens() {
    // Arrange: 51 public channels, alice a member of each.
    let mut w = World::new().await;
    let sp = format!("/v2/Services/{}", w.service);
    for i in 0..51 {
        let name = format!("c{i:02}");
        let ch = created(
            w.app
                .post(&format!("{sp}/Channels"), &[("UniqueName", &name)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        let members = format!("{sp}/Channels/{}/Members", ch["sid"].as_str().unwrap());
        created(w.app.post(&members, &[("Identity", "alice")]).send().await.unwrap()).await;
    }
    let mine = format!("{}/Users/{}/Conversations", w.s, w.alice_sid);
    let public = format!("{}/Conversations", w.s);
    let json_type = "application/json";

    // Act / Assert: A2 and A6, each 50 then 1.
    for (client, path) in [(&mut w.alice, &mine), (&mut w.bob, &public)] {
        let (status, first) = client.request_json("GET", path, json!(null)).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(first["conversations"].as_array().unwrap().len(), 50);
        assert_eq!(first["meta"]["previous_token"], Value::Null);
        let token = first["meta"]["next_token"].as_str().expect("a next page").to_owned();
        let params = json!({"PageToken": token});
        let (status, second) = client.request_with("GET", path, params, json!({}), json_type, "").await;
        assert_eq!(status, 200, "{second}");
        assert_eq!(second["conversations"].as_array().unwrap().len(), 1);
        assert_eq!(second["conversations"][0]["unique_name"], "c50");
        assert_eq!(second["meta"]["next_token"], Value::Null);
        assert!(second["meta"]["previous_token"].is_string(), "{}", second["meta"]);
        let bad = json!({"PageToken": "garbage"});
        let (status, body) = client.request_with("GET", path, bad, json!({}), json_type, "").await;
        assert_error(status, &body, 400, 20001);
    }
}

#[tokio::test]
async fn gateway_aim_identities_in_paths_are_percent_decoded() {
    // Arrange: carol's identity has a space and an @.
    let mut w = World::new().await;
    let sid = w.general().await;
    let participants = format!("{}/Conversations/{sid}/Participants", w.s);
    let (status, _) = w
        .alice
        .request_json("POST", &participants, json!({"identity": "carol x@example.com"}))
        .await;
    assert_eq!(status, 201);

    // Act / Assert: conversations encodes (A19), chat 6 sends `@` raw (A12).
    let (status, u) = w
        .bob
        .request_json("GET", &format!("{}/Users/carol%20x%40example.com", w.s), json!(null))
        .await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(u["identity"], "carol x@example.com");
    assert_eq!(u["url"], format!("{}{}/Users/carol%20x%40example.com", w.app.base, w.s));
    let (status, _) = w
        .alice
        .request_json("DELETE", &format!("{participants}/carol%20x@example.com"), json!(null))
        .await;
    assert_eq!(status, 204);
}
