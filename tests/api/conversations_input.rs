//! Conversations input that spec-driven fuzzing found answered wrongly: each is refused with
//! Twilio's 400 and changes nothing, instead of a 5xx or a stored value that breaks the
//! response schema.

use serde_json::Value;

use crate::harness::{TestApp, assert_twilio_error};

#[tokio::test]
async fn conversations_with_participants_refuses_a_participant_that_is_not_an_object() {
    let app = TestApp::spawn().await;
    for participant in ["true", "[1]", "\"alice\"", "{}", r#"{"identity": 5}"#] {
        let r = app
            .post("/v1/ConversationWithParticipants", &[("Participant", participant)])
            .send()
            .await
            .unwrap();
        assert_twilio_error(r, 400, 20001).await;
    }
    let page: Value = app.get_json("/v1/Conversations").await;
    assert_eq!(
        page["conversations"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );
}

#[tokio::test]
async fn conversations_configuration_refuses_a_bad_messaging_service_sid() {
    let app = TestApp::spawn().await;
    let before: Value = app.get_json("/v1/Configuration").await;
    for (form, code) in [
        (
            ("DefaultMessagingServiceSid", "ISffffffffffffffffffffffffffffffff"),
            20001,
        ),
        (("DefaultMessagingServiceSid", "nope"), 20001),
        (("DefaultClosedTimer", "å"), 50380),
        (("DefaultInactiveTimer", "10 minutes"), 50379),
    ] {
        let r = app.post("/v1/Configuration", &[form]).send().await.unwrap();
        assert_twilio_error(r, 400, code).await;
    }
    assert_eq!(app.get_json("/v1/Configuration").await, before);
    let good = [
        ("DefaultMessagingServiceSid", "MGffffffffffffffffffffffffffffffff"),
        ("DefaultClosedTimer", "P1DT12H"),
        ("DefaultInactiveTimer", "PT10M"),
    ];
    let r = app.post("/v1/Configuration", &good).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let after: Value = app.get_json("/v1/Configuration").await;
    assert_eq!(after["default_closed_timer"], "P1DT12H");
    assert_eq!(after["default_inactive_timer"], "PT10M");
}
