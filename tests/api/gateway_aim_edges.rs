//! The chat API over the socket, its edges: the Conversations-only extras, refusals and bad
//! input as Twilio errors, `X-Twilio-Mutation-Id` repeats, paging, and identities in paths.

use serde_json::{Value, json};

use crate::gateway_aim::{World, assert_error};
use crate::harness::created;

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
    // A6 shows each channel with the caller's own status (read for the whole page at once).
    for (client, status) in [(&mut w.alice, "joined"), (&mut w.bob, "notParticipating")] {
        let (_, page) = client.request_json("GET", &public, json!(null)).await;
        let all = page["conversations"].as_array().unwrap();
        assert!(all.iter().all(|c| c["status"] == status), "{status}: {page}");
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
