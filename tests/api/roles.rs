use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, assert_date, assert_sid, assert_twilio_error};

#[tokio::test]
async fn roles_create_update_delete_round_trip() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let base = format!("/v2/Services/{}/Roles", s["sid"].as_str().unwrap());
    let r = app
        .post(
            &base,
            &[
                ("FriendlyName", "mod"),
                ("Type", "channel"),
                ("Permission", "sendMessage"),
                ("Permission", "leaveChannel"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let role: Value = r.json().await.unwrap();
    assert_sid(&role["sid"], "RL");
    assert_date(&role["date_updated"]);
    assert_eq!(role["type"], "channel");
    assert_eq!(role["permissions"], json!(["sendMessage", "leaveChannel"]));
    let url = format!("{base}/{}", role["sid"].as_str().unwrap());
    assert_eq!(role["url"], format!("{}{url}", app.base));
    let updated: Value = app
        .post(&url, &[("Permission", "deleteOwnMessage")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated["permissions"], json!(["deleteOwnMessage"]));
    assert_eq!(updated["friendly_name"], "mod");
    let fetched: Value = app.get_json(&url).await;
    assert_eq!(fetched["permissions"], json!(["deleteOwnMessage"]));
    assert_eq!(app.delete(&url).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_twilio_error(app.get(&url).send().await.unwrap(), 404, 20404).await;
}

#[tokio::test]
async fn roles_with_unknown_or_wrong_scope_permission_are_rejected() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let base = format!("/v2/Services/{}/Roles", s["sid"].as_str().unwrap());
    let r = app
        .post(
            &base,
            &[("FriendlyName", "x"), ("Type", "channel"), ("Permission", "flyToMoon")],
        )
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 50104).await;
    // leaveChannel is a channel permission, not a deployment one.
    let r = app
        .post(
            &base,
            &[
                ("FriendlyName", "x"),
                ("Type", "deployment"),
                ("Permission", "leaveChannel"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 50104).await;
    let r = app
        .post(&base, &[("FriendlyName", "x"), ("Type", "channel")])
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 20001).await;
    let r = app
        .post(&base, &[("Type", "channel"), ("Permission", "sendMessage")])
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 20001).await;
}

#[tokio::test]
async fn roles_default_role_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let url = format!(
        "/v2/Services/{}/Roles/{}",
        s["sid"].as_str().unwrap(),
        s["default_service_role_sid"].as_str().unwrap()
    );
    let r = app.delete(&url).send().await.unwrap();
    assert_twilio_error(r, 409, 20001).await;
    assert_eq!(app.get(&url).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn roles_held_by_a_user_cannot_be_deleted_until_released() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let service = s["sid"].as_str().unwrap();
    let role: Value = app
        .post(
            &format!("/v2/Services/{service}/Roles"),
            &[
                ("FriendlyName", "ops"),
                ("Type", "deployment"),
                ("Permission", "createChannel"),
            ],
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!("/v2/Services/{service}/Roles/{}", role["sid"].as_str().unwrap());
    let user = format!("/v2/Services/{service}/Users/dana");
    let r = app
        .post(
            &format!("/v2/Services/{service}/Users"),
            &[("Identity", "dana"), ("RoleSid", role["sid"].as_str().unwrap())],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_twilio_error(app.delete(&url).send().await.unwrap(), 409, 20001).await;
    assert_eq!(app.get(&url).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(app.delete(&user).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&url).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_twilio_error(app.get(&url).send().await.unwrap(), 404, 20404).await;
}
