use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{TestApp, assert_twilio_error};

#[tokio::test]
async fn errors_unknown_route_is_twilio_404() {
    let app = TestApp::spawn().await;
    let r = app.get("/v2/Nope").send().await.unwrap();
    let body = assert_twilio_error(r, 404, 20404).await;
    assert_eq!(body["message"], "The requested resource /Nope was not found");
}

#[tokio::test]
async fn errors_wrong_method_is_405_20004() {
    let app = TestApp::spawn().await;
    let r = app.http.put(format!("{}/v2/Services", app.base)).send().await.unwrap();
    assert_twilio_error(r, 405, 20004).await;
}

#[tokio::test]
async fn errors_unknown_sid_and_wrong_prefix_are_404() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let sid = s["sid"].as_str().unwrap();
    for p in [
        "/v2/Services/ISffffffffffffffffffffffffffffffff".to_owned(),
        "/v2/Services/CHffffffffffffffffffffffffffffffff".to_owned(),
        "/v2/Services/short".to_owned(),
        format!("/v2/Services/{sid}/Roles/USffffffffffffffffffffffffffffffff"),
        format!("/v2/Services/{sid}/Users/USffffffffffffffffffffffffffffffff"),
        "/v2/Credentials/ISffffffffffffffffffffffffffffffff".to_owned(),
    ] {
        assert_twilio_error(app.get(&p).send().await.unwrap(), 404, 20404).await;
    }
}

#[tokio::test]
async fn errors_oversized_body_is_413_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let big = "x".repeat(128 * 1024);
    let r = app
        .post("/v2/Services", &[("FriendlyName", big.as_str())])
        .send()
        .await
        .unwrap();
    let body = assert_twilio_error(r, 413, 20001).await;
    assert!(body["message"].as_str().unwrap().contains("too large"));
    let list: Value = app.get_json("/v2/Services").await;
    assert_eq!(list["services"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn errors_each_bad_input_class_changes_nothing() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let sid = s["sid"].as_str().unwrap();
    let users = format!("/v2/Services/{sid}/Users");
    let r = app
        .post(&users, &[("Identity", "alice"), ("Attributes", "{not json")])
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 50304).await;
    let r = app
        .post(&users, &[("FriendlyName", "no identity")])
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 50204).await;
    let r = app
        .post(&users, &[("Identity", "USffffffffffffffffffffffffffffffff")])
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 50206).await;
    let r = app
        .post(&users, &[("Identity", "bob"), ("RoleSid", "not-a-role")])
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 20001).await;
    let r = app
        .post(
            &format!("/v2/Services/{sid}/Roles"),
            &[("FriendlyName", "r"), ("Type", "galaxy"), ("Permission", "sendMessage")],
        )
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 50105).await;
    let r = app
        .post("/v2/Credentials", &[("Type", "carrier-pigeon")])
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 20001).await;
    let r = app.get("/v2/Services?PageSize=lots").send().await.unwrap();
    assert_twilio_error(r, 400, 20001).await;
    let list: Value = app.get_json(&users).await;
    assert_eq!(list["users"].as_array().unwrap().len(), 0);
    let roles: Value = app.get_json(&format!("/v2/Services/{sid}/Roles")).await;
    assert_eq!(roles["roles"].as_array().unwrap().len(), 4);
    let creds: Value = app.get_json("/v2/Credentials").await;
    assert_eq!(creds["credentials"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn errors_get_with_form_content_type_is_accepted() {
    let app = TestApp::spawn().await;
    let r = app
        .get("/v2/Services")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
