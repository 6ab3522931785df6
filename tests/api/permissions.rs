//! End users on the REST API: every permission of Twilio's vocabulary is granted by a role
//! holding it and refused (403 / 50107) by one lacking it, through real requests made with an
//! Access Token.

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::users::EndUser;
use crate::harness::{TestApp, assert_twilio_error, created, ok_json};

/// One service with a channel in which `alice` (the actor) and `bob` are members, and `carol`
/// a user who is not.
struct World {
    sp: String,
    ch: String,
    alice: EndUser,
    /// An uploaded, unattached media file of the service.
    media: String,
}

/// What a case does as alice, on a fresh [`World`]: (method, path relative to the channel or
/// the service, form).
type Action = fn(&World) -> (&'static str, String, Vec<(&'static str, String)>);

/// A permission, how it is held (`true`: in alice's channel role; `false`: in her service
/// role) and the action it allows.
const CASES: &[(&str, bool, Action)] = &[
    ("sendMessage", true, |w| {
        ("POST", format!("{}/Messages", w.ch), vec![("Body", "hi".into())])
    }),
    ("sendMediaMessage", true, |w| {
        (
            "POST",
            format!("{}/Messages", w.ch),
            vec![("MediaSid", w.media.clone())],
        )
    }),
    ("leaveChannel", true, |w| {
        ("DELETE", format!("{}/Members/alice", w.ch), vec![])
    }),
    ("editOwnMessage", true, |w| {
        (
            "POST",
            format!("{}/Messages/{{alice_msg}}", w.ch),
            vec![("Body", "v2".into())],
        )
    }),
    ("editAnyMessage", true, |w| {
        (
            "POST",
            format!("{}/Messages/{{bob_msg}}", w.ch),
            vec![("Body", "v2".into())],
        )
    }),
    ("editOwnMessageAttributes", true, |w| {
        (
            "POST",
            format!("{}/Messages/{{alice_msg}}", w.ch),
            vec![("Attributes", "{\"a\":1}".into())],
        )
    }),
    ("editAnyMessageAttributes", true, |w| {
        (
            "POST",
            format!("{}/Messages/{{bob_msg}}", w.ch),
            vec![("Attributes", "{\"a\":1}".into())],
        )
    }),
    ("deleteOwnMessage", true, |w| {
        ("DELETE", format!("{}/Messages/{{alice_msg}}", w.ch), vec![])
    }),
    ("deleteAnyMessage", true, |w| {
        ("DELETE", format!("{}/Messages/{{bob_msg}}", w.ch), vec![])
    }),
    ("inviteMember", true, |w| {
        ("POST", format!("{}/Invites", w.ch), vec![("Identity", "carol".into())])
    }),
    ("addMember", true, |w| {
        ("POST", format!("{}/Members", w.ch), vec![("Identity", "carol".into())])
    }),
    ("removeMember", true, |w| {
        ("DELETE", format!("{}/Members/bob", w.ch), vec![])
    }),
    ("editChannelName", true, |w| {
        ("POST", w.ch.clone(), vec![("FriendlyName", "renamed".into())])
    }),
    ("editChannelAttributes", true, |w| {
        ("POST", w.ch.clone(), vec![("Attributes", "{\"c\":1}".into())])
    }),
    ("destroyChannel", true, |w| ("DELETE", w.ch.clone(), vec![])),
    ("editOwnMemberAttributes", true, |w| {
        (
            "POST",
            format!("{}/Members/alice", w.ch),
            vec![("Attributes", "{\"m\":1}".into())],
        )
    }),
    ("editAnyMemberAttributes", true, |w| {
        (
            "POST",
            format!("{}/Members/bob", w.ch),
            vec![("Attributes", "{\"m\":1}".into())],
        )
    }),
    ("editNotificationLevel", true, |w| {
        let ch_sid = w.ch.rsplit('/').next().unwrap_or_default();
        let path = format!("{}/Users/alice/Channels/{ch_sid}", w.sp);
        ("POST", path, vec![("NotificationLevel", "muted".into())])
    }),
    ("createChannel", false, |w| {
        (
            "POST",
            format!("{}/Channels", w.sp),
            vec![("FriendlyName", "new".into())],
        )
    }),
    ("joinChannel", false, |w| {
        ("POST", format!("{}/Members", w.ch), vec![("Identity", "alice".into())])
    }),
    ("editOwnUserInfo", false, |w| {
        (
            "POST",
            format!("{}/Users/alice", w.sp),
            vec![("FriendlyName", "Al".into())],
        )
    }),
    ("editAnyUserInfo", false, |w| {
        (
            "POST",
            format!("{}/Users/bob", w.sp),
            vec![("FriendlyName", "Bo".into())],
        )
    }),
    // Channel permissions held in a service role apply in every channel.
    ("destroyChannel", false, |w| ("DELETE", w.ch.clone(), vec![])),
    ("addMember", false, |w| {
        ("POST", format!("{}/Members", w.ch), vec![("Identity", "carol".into())])
    }),
];

async fn role(app: &TestApp, sp: &str, kind: &str, permissions: &[&str]) -> String {
    let mut form = vec![
        ("FriendlyName", format!("r-{}", &crate::harness::random_hex()[..8])),
        ("Type", kind.to_owned()),
    ];
    form.extend(permissions.iter().map(|p| ("Permission", (*p).to_owned())));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    created(app.post(&format!("{sp}/Roles"), &form).send().await.unwrap()).await["sid"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A world where alice's channel role and service role hold exactly the given permissions,
/// plus a filler each (a role cannot be empty) that no action of `case` depends on: the
/// channel role's is a user-info permission (only checked service-wide), the service role's
/// is one of the two channel-creation permissions.
async fn world(app: &TestApp, case: &str, channel_perms: &[&str], service_perms: &[&str]) -> (World, String, String) {
    let s = app.service().await;
    let sp = format!("/v2/Services/{}", s["sid"].as_str().unwrap());
    let mut cp = vec!["editOwnUserInfo"];
    cp.extend_from_slice(channel_perms);
    let mut dp = vec![if case == "createChannel" {
        "joinChannel"
    } else {
        "createChannel"
    }];
    dp.extend_from_slice(service_perms);
    let (channel_role, service_role) = (
        role(app, &sp, "channel", &cp).await,
        role(app, &sp, "deployment", &dp).await,
    );
    for who in ["alice", "bob", "carol"] {
        let form = [("Identity", who), ("RoleSid", service_role.as_str())];
        created(app.post(&format!("{sp}/Users"), &form).send().await.unwrap()).await;
    }
    let c = created(app.post(&format!("{sp}/Channels"), &[]).send().await.unwrap()).await;
    let ch = format!("{sp}/Channels/{}", c["sid"].as_str().unwrap());
    let joins_itself = service_perms.contains(&"joinChannel");
    for who in ["alice", "bob"] {
        if who == "alice" && joins_itself {
            continue;
        }
        let form = [("Identity", who), ("RoleSid", channel_role.as_str())];
        created(app.post(&format!("{ch}/Members"), &form).send().await.unwrap()).await;
    }
    let msg = |from: &'static str| {
        let ch = ch.clone();
        async move {
            let form = [("Body", "m"), ("From", from)];
            created(app.post(&format!("{ch}/Messages"), &form).send().await.unwrap()).await["sid"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let (alice_msg, bob_msg) = (msg("alice").await, msg("bob").await);
    let service_sid = s["sid"].as_str().unwrap();
    let alice = app.end_user(service_sid, "alice").await;
    let media = crate::media::upload(app, service_sid, vec![1, 2, 3], "image/png", None).await["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    (World { sp, ch, alice, media }, alice_msg, bob_msg)
}

async fn act(app: &TestApp, w: &World, action: Action, alice_msg: &str, bob_msg: &str) -> reqwest::Response {
    let (method, path, form) = action(w);
    let path = path.replace("{alice_msg}", alice_msg).replace("{bob_msg}", bob_msg);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match method {
        "POST" => app.user_post(&w.alice, &path, &form),
        "DELETE" => app.user_delete(&w.alice, &path),
        _ => app.user_get(&w.alice, &path),
    }
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn permissions_each_is_granted_by_a_role_holding_it_and_refused_without_it() {
    let app = TestApp::spawn().await;
    for (permission, in_channel_role, action) in CASES {
        let held: &[&str] = &[permission];
        // Granted.
        let (w, a, b) = if *in_channel_role {
            world(&app, permission, held, &[]).await
        } else {
            world(&app, permission, &[], held).await
        };
        let r = act(&app, &w, *action, &a, &b).await;
        assert!(
            r.status().is_success(),
            "{permission} held: {} {}",
            r.status(),
            r.text().await.unwrap()
        );
        // Refused, and nothing changed.
        let (w, a, b) = world(&app, permission, &[], &[]).await;
        let before = app.get_json(&w.ch).await;
        let r = act(&app, &w, *action, &a, &b).await;
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN, "{permission} lacking: {body}");
        assert_eq!(body["code"], 50107, "{permission} lacking: {body}");
        assert_eq!(body["status"], 403);
        assert!(body["message"].as_str().unwrap().contains(permission), "{body}");
        let after = app.get_json(&w.ch).await;
        assert_eq!(before, after, "{permission} lacking: the channel changed");
    }
}

#[tokio::test]
async fn permissions_a_role_change_applies_to_the_next_request() {
    let app = TestApp::spawn().await;
    let (w, _, _) = world(&app, "sendMessage", &["sendMessage"], &[]).await;
    let send = || {
        app.user_post(&w.alice, &format!("{}/Messages", w.ch), &[("Body", "x")])
            .send()
    };
    assert_eq!(send().await.unwrap().status(), StatusCode::CREATED);
    let member = app.get_json(&format!("{}/Members/alice", w.ch)).await;
    let role = format!("{}/Roles/{}", w.sp, member["role_sid"].as_str().unwrap());
    ok_json(app.post(&role, &[("Permission", "leaveChannel")]).send().await.unwrap()).await;
    assert_twilio_error(send().await.unwrap(), 403, 50107).await;
    ok_json(app.post(&role, &[("Permission", "sendMessage")]).send().await.unwrap()).await;
    assert_eq!(send().await.unwrap().status(), StatusCode::CREATED);
}
