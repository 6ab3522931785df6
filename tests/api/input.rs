//! Hostile input: NUL and invalid UTF-8, oversized fields on every path that stores text, and
//! users named by SID where an identity is expected. Both backends must answer alike.

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{TestApp, assert_twilio_error, created};

/// A service and a channel; returns (service path, channel path).
async fn service_and_channel(app: &TestApp) -> (String, String) {
    let s = app.service().await;
    let sp = format!("/v2/Services/{}", s["sid"].as_str().unwrap());
    let c = created(app.post(&format!("{sp}/Channels"), &[]).send().await.unwrap()).await;
    (sp.clone(), format!("{sp}/Channels/{}", c["sid"].as_str().unwrap()))
}

/// POSTs a raw, already encoded form body.
async fn post_raw(app: &TestApp, path: &str, body: &'static str) -> reqwest::Response {
    app.http
        .post(format!("{}{path}", app.base))
        .basic_auth(&app.account_sid, Some(&app.auth_token))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn channel_count(app: &TestApp, sp: &str) -> usize {
    let page: Value = app.get_json(&format!("{sp}/Channels?Type=public&Type=private")).await;
    page["channels"].as_array().unwrap().len()
}

#[tokio::test]
async fn nul_and_invalid_utf8_are_refused_with_400_and_store_nothing() {
    let app = TestApp::spawn().await;
    let (sp, ch) = service_and_channel(&app).await;
    let channels = format!("{sp}/Channels");
    for body in [
        "FriendlyName=a%00b",
        "UniqueName=%00",
        "Attributes=%7B%22a%22%3A%22%00%22%7D",
        "FriendlyName=%FF%FE",
        "FriendlyName=ok&Attr%00ibutes=x",
        "FriendlyName=%C3%28",
    ] {
        let r = post_raw(&app, &channels, body).await;
        let e = assert_twilio_error(r, 400, 20001).await;
        assert!(
            e["message"].as_str().unwrap().contains("Invalid parameter"),
            "{body}: {e}"
        );
    }
    assert_eq!(channel_count(&app, &sp).await, 1, "nothing was stored");
    let r = post_raw(&app, &format!("{ch}/Messages"), "Body=hi%00there").await;
    assert_twilio_error(r, 400, 20001).await;
    let r = post_raw(&app, &format!("{ch}/Messages"), "From=%00").await;
    assert_twilio_error(r, 400, 20001).await;
    let msgs: Value = app.get_json(&format!("{ch}/Messages")).await;
    assert_eq!(msgs["messages"].as_array().unwrap().len(), 0);
    // In the query string and in the path, too.
    let r = app.get(&format!("{sp}/Channels?Type=pub%00lic")).send().await.unwrap();
    assert_twilio_error(r, 400, 20001).await;
    let r = app.get(&format!("{sp}/Channels?PageToken=%FF")).send().await.unwrap();
    assert_twilio_error(r, 400, 20001).await;
    for path in [
        format!("{sp}/Channels/a%00b"),
        format!("{sp}/Users/%FF"),
        format!("{sp}/Roles/%00"),
    ] {
        let r = app.get(&path).send().await.unwrap();
        assert_twilio_error(r, 404, 20404).await;
    }
    // A plain `+` and an encoded U+FFFD are ordinary text.
    let c = created(post_raw(&app, &channels, "FriendlyName=a+%EF%BF%BD").await).await;
    assert_eq!(c["friendly_name"], "a \u{FFFD}");
}

#[tokio::test]
async fn every_stored_text_field_has_a_length_limit() {
    // The default body limit (1 MiB), so that the per-parameter bound is what answers.
    let app = TestApp::spawn_with(|cfg| cfg.max_body_bytes = 1024 * 1024).await;
    let (sp, ch) = service_and_channel(&app).await;
    let huge = "x".repeat(40_000);
    let url = format!("https://example.com/{huge}");
    let ignored = "y".repeat(70_000);
    let user = created(
        app.post(&format!("{sp}/Users"), &[("Identity", "alice")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let cases: Vec<(String, Vec<(&str, &str)>, u64)> = vec![
        (format!("{ch}/Members"), vec![("Identity", &huge)], 50207),
        (format!("{ch}/Invites"), vec![("Identity", &huge)], 50207),
        (format!("{sp}/Channels"), vec![("CreatedBy", &huge)], 20001),
        (ch.clone(), vec![("CreatedBy", &huge)], 20001),
        (format!("{ch}/Messages"), vec![("LastUpdatedBy", &huge)], 50310),
        (format!("{ch}/Messages"), vec![("From", &huge)], 50310),
        (
            format!("{ch}/Webhooks"),
            vec![("Type", "webhook"), ("Configuration.Url", &url)],
            20001,
        ),
        (
            format!("{ch}/Webhooks"),
            vec![
                ("Type", "trigger"),
                ("Configuration.Url", "https://example.com/hook"),
                ("Configuration.Triggers", &huge),
            ],
            20001,
        ),
        (sp.clone(), vec![("PreWebhookUrl", &url)], 20001),
        (sp.clone(), vec![("PostWebhookUrl", &url)], 20001),
        (sp.clone(), vec![("Notifications.NewMessage.Sound", &huge)], 20001),
        (sp.clone(), vec![("Media.CompatibilityMessage", &huge)], 20001),
        (
            "/v2/Credentials".to_owned(),
            vec![("Type", "fcm"), ("Secret", &huge)],
            20001,
        ),
        (
            "/v2/Credentials".to_owned(),
            vec![("Type", "apn"), ("Certificate", &huge)],
            20001,
        ),
        (
            "/v2/Credentials".to_owned(),
            vec![("Type", "apn"), ("PrivateKey", &huge)],
            20001,
        ),
        (
            "/v2/Credentials".to_owned(),
            vec![("Type", "gcm"), ("ApiKey", &huge)],
            20001,
        ),
        (format!("{sp}/Channels"), vec![("Ignored", &ignored)], 20001),
    ];
    for (path, form, code) in cases {
        let r = app.post(&path, &form).send().await.unwrap();
        let e = assert_twilio_error(r, 400, code).await;
        assert!(
            e["message"].as_str().unwrap().contains("too long"),
            "{path} {:?}: {e}",
            form[form.len() - 1].0
        );
    }
    // Nothing was created along the way.
    assert_eq!(channel_count(&app, &sp).await, 1);
    let u: Value = app.get_json(&format!("{sp}/Users")).await;
    assert_eq!(u["users"].as_array().unwrap().len(), 1);
    assert_eq!(u["users"][0]["sid"], user["sid"]);
}

#[tokio::test]
async fn a_member_added_by_user_sid_is_stored_under_the_identity_and_counts_against_limits() {
    let app = TestApp::spawn().await;
    let (sp, ch1) = service_and_channel(&app).await;
    let r = app.post(&sp, &[("Limits.UserChannels", "1")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let c2 = created(app.post(&format!("{sp}/Channels"), &[]).send().await.unwrap()).await;
    let ch2 = format!("{sp}/Channels/{}", c2["sid"].as_str().unwrap());
    let user = created(
        app.post(&format!("{sp}/Users"), &[("Identity", "alice")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let user_sid = user["sid"].as_str().unwrap();

    let m = created(
        app.post(&format!("{ch1}/Members"), &[("Identity", user_sid)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(m["identity"], "alice");
    // The same user by identity is the same member.
    let r = app
        .post(&format!("{ch1}/Members"), &[("Identity", "alice")])
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 409, 50404).await;
    // And by SID again, into a second channel: the user's limit of one channel holds.
    let r = app
        .post(&format!("{ch2}/Members"), &[("Identity", user_sid)])
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 403, 50208).await;
    let u: Value = app.get_json(&format!("{sp}/Users/{user_sid}")).await;
    assert_eq!(u["joined_channels_count"], 1);
    let fetched: Value = app.get_json(&format!("{ch1}/Members/alice")).await;
    assert_eq!(fetched["sid"], m["sid"]);
    // An unknown User SID names nobody: no user is created under that "identity".
    let r = app
        .post(
            &format!("{ch2}/Members"),
            &[("Identity", "US00000000000000000000000000000000")],
        )
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 404, 20404).await;
    let users: Value = app.get_json(&format!("{sp}/Users")).await;
    assert_eq!(users["users"].as_array().unwrap().len(), 1);
}
