//! The chat API over the socket, people: participants join, update and leave (A11–A13),
//! invites and declines (A14, A15), and users described, listed and updated (A19–A21).

use serde_json::{Value, json};

use crate::gateway_aim::{World, assert_error};

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
