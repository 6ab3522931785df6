use banter::store::PageReq;
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{TestApp, assert_date, assert_sid, assert_twilio_error};

#[tokio::test]
async fn services_create_applies_twilio_defaults_and_default_roles() {
    // Arrange
    let app = TestApp::spawn().await;
    // Act
    let s = app.service().await;
    // Assert
    assert_sid(&s["sid"], "IS");
    assert_eq!(s["account_sid"], app.account_sid.as_str());
    assert_eq!(s["friendly_name"], "test");
    assert_date(&s["date_created"]);
    assert_eq!(s["read_status_enabled"], true);
    assert_eq!(s["reachability_enabled"], false);
    assert_eq!(s["typing_indicator_timeout"], 5);
    assert_eq!(s["consumption_report_interval"], 10);
    assert_eq!(s["limits"]["channel_members"], 100);
    assert_eq!(s["limits"]["user_channels"], 250);
    assert_eq!(s["media"]["size_limit_mb"], 150);
    assert_eq!(s["webhook_method"], Value::Null);
    assert_eq!(s["webhook_filters"], Value::Null);
    assert_eq!(s["pre_webhook_retry_count"], 0);
    assert_eq!(s["notifications"]["new_message"]["enabled"], false);
    let sid = s["sid"].as_str().unwrap();
    assert_eq!(s["url"], format!("{}/v2/Services/{sid}", app.base));
    assert_eq!(s["links"]["users"], format!("{}/v2/Services/{sid}/Users", app.base));

    let roles: Value = app.get_json(&format!("/v2/Services/{sid}/Roles")).await;
    let find = |name: &str| {
        roles["roles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["friendly_name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(s["default_service_role_sid"], find("service user")["sid"]);
    assert_eq!(s["default_channel_role_sid"], find("channel user")["sid"]);
    assert_eq!(s["default_channel_creator_role_sid"], find("channel admin")["sid"]);
    assert_eq!(find("service admin")["type"], "deployment");
    assert_eq!(find("channel user")["type"], "channel");
    assert!(
        find("channel user")["permissions"]
            .as_array()
            .unwrap()
            .contains(&Value::from("sendMessage"))
    );
}

#[tokio::test]
async fn services_update_round_trips_every_setting() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let sid = s["sid"].as_str().unwrap();
    let admin_role = s["default_channel_creator_role_sid"].as_str().unwrap();
    let form = [
        ("FriendlyName", "renamed"),
        ("DefaultChannelRoleSid", admin_role),
        ("ReadStatusEnabled", "false"),
        ("ReachabilityEnabled", "True"),
        ("TypingIndicatorTimeout", "9"),
        ("ConsumptionReportInterval", "20"),
        ("Notifications.NewMessage.Enabled", "true"),
        ("Notifications.NewMessage.Template", "${USER}: ${MESSAGE}"),
        ("Notifications.NewMessage.Sound", "ding"),
        ("Notifications.NewMessage.BadgeCountEnabled", "true"),
        ("Notifications.AddedToChannel.Enabled", "true"),
        ("Notifications.RemovedFromChannel.Template", "bye"),
        ("Notifications.InvitedToChannel.Sound", "knock"),
        ("Notifications.LogEnabled", "true"),
        ("PreWebhookUrl", "https://example.com/pre"),
        ("PostWebhookUrl", "https://example.com/post"),
        ("WebhookMethod", "GET"),
        ("WebhookFilters", "onMessageSent"),
        ("WebhookFilters", "onChannelAdded"),
        ("Limits.ChannelMembers", "500"),
        ("Limits.UserChannels", "600"),
        ("Media.CompatibilityMessage", "media!"),
        ("PreWebhookRetryCount", "2"),
        ("PostWebhookRetryCount", "3"),
    ];
    let r = app.post(&format!("/v2/Services/{sid}"), &form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let fetched: Value = app.get_json(&format!("/v2/Services/{sid}")).await;
    for u in [r.json::<Value>().await.unwrap(), fetched] {
        assert_eq!(u["friendly_name"], "renamed");
        assert_eq!(u["default_channel_role_sid"], admin_role);
        assert_eq!(u["read_status_enabled"], false);
        assert_eq!(u["reachability_enabled"], true);
        assert_eq!(u["typing_indicator_timeout"], 9);
        assert_eq!(u["consumption_report_interval"], 20);
        assert_eq!(u["notifications"]["new_message"]["enabled"], true);
        assert_eq!(u["notifications"]["new_message"]["template"], "${USER}: ${MESSAGE}");
        assert_eq!(u["notifications"]["new_message"]["sound"], "ding");
        assert_eq!(u["notifications"]["new_message"]["badge_count_enabled"], true);
        assert_eq!(u["notifications"]["added_to_channel"]["enabled"], true);
        assert_eq!(u["notifications"]["removed_from_channel"]["template"], "bye");
        assert_eq!(u["notifications"]["invited_to_channel"]["sound"], "knock");
        assert_eq!(u["notifications"]["log_enabled"], true);
        assert_eq!(u["pre_webhook_url"], "https://example.com/pre");
        assert_eq!(u["post_webhook_url"], "https://example.com/post");
        assert_eq!(u["webhook_method"], "GET");
        assert_eq!(
            u["webhook_filters"],
            serde_json::json!(["onMessageSent", "onChannelAdded"])
        );
        assert_eq!(u["limits"]["channel_members"], 500);
        assert_eq!(u["limits"]["user_channels"], 600);
        assert_eq!(u["media"]["compatibility_message"], "media!");
        assert_eq!(u["pre_webhook_retry_count"], 2);
        assert_eq!(u["post_webhook_retry_count"], 3);
        assert_eq!(u["date_created"], s["date_created"]);
    }
}

#[tokio::test]
async fn services_update_with_bad_limit_is_rejected_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let path = format!("/v2/Services/{}", s["sid"].as_str().unwrap());
    let cases: &[(&[(&str, &str)], u16, u64)] = &[
        (&[("FriendlyName", "x"), ("Limits.ChannelMembers", "5000")], 400, 50061),
        (&[("FriendlyName", "x"), ("Limits.UserChannels", "0")], 400, 50060),
        (&[("FriendlyName", "x"), ("Limits.UserChannels", "many")], 400, 50060),
        (&[("FriendlyName", "x"), ("PostWebhookRetryCount", "99")], 400, 50065),
        (&[("FriendlyName", "x"), ("WebhookMethod", "PUT")], 400, 20001),
        (&[("FriendlyName", "x"), ("WebhookFilters", "onNothing")], 400, 20001),
        (&[("FriendlyName", "x"), ("ReadStatusEnabled", "maybe")], 400, 20001),
        (&[("FriendlyName", "x"), ("TypingIndicatorTimeout", "soon")], 400, 20001),
        (&[("FriendlyName", "x"), ("PreWebhookUrl", "ftp://nope")], 400, 20001),
        (
            &[
                ("FriendlyName", "x"),
                ("DefaultServiceRoleSid", "RLffffffffffffffffffffffffffffffff"),
            ],
            400,
            50100,
        ),
        (&[("FriendlyName", "x"), ("DefaultServiceRoleSid", "nope")], 400, 20001),
    ];
    for (form, status, code) in cases {
        let r = app.post(&path, form).send().await.unwrap();
        assert_twilio_error(r, *status, *code).await;
    }
    // A channel role cannot be the default service (deployment) role.
    let r = app
        .post(
            &path,
            &[("DefaultServiceRoleSid", s["default_channel_role_sid"].as_str().unwrap())],
        )
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 50105).await;
    let after: Value = app.get_json(&path).await;
    assert_eq!(after, s, "a rejected update must change nothing");
}

#[tokio::test]
async fn services_delete_removes_service_and_its_users() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let sid = s["sid"].as_str().unwrap();
    let r = app
        .post(&format!("/v2/Services/{sid}/Users"), &[("Identity", "alice")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app.delete(&format!("/v2/Services/{sid}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.bytes().await.unwrap().len(), 0);
    let r = app.get(&format!("/v2/Services/{sid}")).send().await.unwrap();
    let body = assert_twilio_error(r, 404, 20404).await;
    assert_eq!(
        body["message"],
        format!("The requested resource /Services/{sid} was not found")
    );
    // The users went with the service: read the store directly, as another process would.
    let operator = app.operator().await;
    let page = PageReq {
        after: None,
        before: None,
        limit: 50,
        desc: false,
    };
    let users = operator.store().list_users(sid, page).await.unwrap();
    assert_eq!(users.len(), 0);
    assert!(operator.store().user(sid, "alice").await.unwrap().is_none());
    let r = app.delete(&format!("/v2/Services/{sid}")).send().await.unwrap();
    assert_twilio_error(r, 404, 20404).await;
}

#[tokio::test]
async fn services_create_without_friendly_name_is_rejected() {
    let app = TestApp::spawn().await;
    let r = app.post("/v2/Services", &[]).send().await.unwrap();
    let body = assert_twilio_error(r, 400, 20001).await;
    assert!(body["message"].as_str().unwrap().contains("FriendlyName"));
    let list: Value = app.get_json("/v2/Services").await;
    assert_eq!(list["services"].as_array().unwrap().len(), 0);
}
