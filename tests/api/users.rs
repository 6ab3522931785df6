use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{TestApp, assert_sid, assert_twilio_error};

#[tokio::test]
async fn users_create_defaults_and_fetch_by_sid_or_identity() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let base = format!("/v2/Services/{}/Users", s["sid"].as_str().unwrap());
    let r = app
        .post(&base, &[("Identity", "bob+tag@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let u: Value = r.json().await.unwrap();
    assert_sid(&u["sid"], "US");
    assert_eq!(u["role_sid"], s["default_service_role_sid"]);
    assert_eq!(u["identity"], "bob+tag@example.com");
    assert_eq!(u["attributes"], Value::Null);
    assert_eq!(u["friendly_name"], Value::Null);
    assert_eq!(u["is_online"], Value::Null);
    assert_eq!(u["joined_channels_count"], 0);
    let url = format!("{}{base}/{}", app.base, u["sid"].as_str().unwrap());
    assert_eq!(u["url"], url);
    assert_eq!(u["links"]["user_channels"], format!("{url}/Channels"));
    for key in [
        u["sid"].as_str().unwrap(),
        "bob+tag@example.com",
        "bob+tag%40example.com",
    ] {
        let r = app.get(&format!("{base}/{key}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{key}");
        let f: Value = r.json().await.unwrap();
        assert_eq!(f["sid"], u["sid"]);
    }
    let spaced: Value = app
        .post(&base, &[("Identity", "alice smith")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let f: Value = app.get_json(&format!("{base}/alice%20smith")).await;
    assert_eq!(f["sid"], spaced["sid"]);
}

#[tokio::test]
async fn users_update_and_delete_by_identity() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let base = format!("/v2/Services/{}/Users", s["sid"].as_str().unwrap());
    app.post(&base, &[("Identity", "carol"), ("FriendlyName", "Carol")])
        .send()
        .await
        .unwrap();
    let roles: Value = app
        .get(&format!("/v2/Services/{}/Roles", s["sid"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["friendly_name"] == "service admin")
        .unwrap();
    let u: Value = app
        .post(
            &format!("{base}/carol"),
            &[
                ("Attributes", r#"{"a":1}"#),
                ("RoleSid", admin["sid"].as_str().unwrap()),
            ],
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(u["attributes"], r#"{"a":1}"#);
    assert_eq!(u["friendly_name"], "Carol");
    assert_eq!(u["role_sid"], admin["sid"]);
    let r = app
        .post(
            &format!("{base}/carol"),
            &[("RoleSid", s["default_channel_role_sid"].as_str().unwrap())],
        )
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 50105).await;
    assert_eq!(
        app.delete(&format!("{base}/carol")).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_twilio_error(app.get(&format!("{base}/carol")).send().await.unwrap(), 404, 20404).await;
}

#[tokio::test]
async fn users_duplicate_identity_is_409_50201() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let base = format!("/v2/Services/{}/Users", s["sid"].as_str().unwrap());
    assert_eq!(
        app.post(&base, &[("Identity", "dave")]).send().await.unwrap().status(),
        StatusCode::CREATED
    );
    let r = app.post(&base, &[("Identity", "dave")]).send().await.unwrap();
    assert_twilio_error(r, 409, 50201).await;
    // Identities are case-sensitive.
    assert_eq!(
        app.post(&base, &[("Identity", "Dave")]).send().await.unwrap().status(),
        StatusCode::CREATED
    );
}
