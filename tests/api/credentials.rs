use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{TestApp, assert_sid, assert_twilio_error};

#[tokio::test]
async fn credentials_round_trip_without_ever_returning_secrets() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/v2/Credentials",
            &[
                ("Type", "apn"),
                ("FriendlyName", "ios"),
                ("Certificate", "CERT"),
                ("PrivateKey", "KEY"),
                ("Sandbox", "true"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let text = r.text().await.unwrap();
    assert!(!text.contains("CERT") && !text.contains("KEY"));
    let c: Value = serde_json::from_str(&text).unwrap();
    assert_sid(&c["sid"], "CR");
    assert_eq!(c["type"], "apn");
    assert_eq!(c["sandbox"], "True");
    assert_eq!(c["friendly_name"], "ios");
    let url = format!("/v2/Credentials/{}", c["sid"].as_str().unwrap());
    let u: Value = app
        .post(&url, &[("FriendlyName", "ios2"), ("Sandbox", "false")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(u["friendly_name"], "ios2");
    assert_eq!(u["sandbox"], "False");
    let fcm: Value = app
        .post("/v2/Credentials", &[("Type", "fcm"), ("Secret", "SERVERKEY")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fcm["sandbox"], Value::Null);
    let list = app.get("/v2/Credentials").send().await.unwrap().text().await.unwrap();
    assert!(!list.contains("SERVERKEY"));
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["credentials"].as_array().unwrap().len(), 2);
    assert_eq!(app.delete(&url).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_twilio_error(app.get(&url).send().await.unwrap(), 404, 20404).await;
    let r = app
        .post("/v2/Credentials", &[("FriendlyName", "no type")])
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 20001).await;
}
