use serde_json::Value;

use crate::harness::TestApp;

async fn walk(app: &TestApp, first: &str, key: &str) -> (Vec<String>, Vec<Value>) {
    let mut sids = Vec::new();
    let mut metas = Vec::new();
    let mut url = Some(first.to_owned());
    while let Some(u) = url {
        let page: Value = app.get_json(&u).await;
        sids.extend(
            page[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["sid"].as_str().unwrap().to_owned()),
        );
        url = page["meta"]["next_page_url"].as_str().map(str::to_owned);
        metas.push(page["meta"].clone());
        assert!(metas.len() < 50, "paging does not terminate");
    }
    (sids, metas)
}

#[tokio::test]
async fn pagination_walks_every_page_forward_and_back() {
    // Arrange
    let app = TestApp::spawn().await;
    let mut created = Vec::new();
    for _ in 0..7 {
        created.push(app.service().await["sid"].as_str().unwrap().to_owned());
    }
    // Act
    let (sids, metas) = walk(&app, "/v2/Services?PageSize=3", "services").await;
    // Assert
    assert_eq!(sids, created);
    assert_eq!(metas.len(), 3);
    assert_eq!(metas[0]["page"], 0);
    assert_eq!(metas[0]["page_size"], 3);
    assert_eq!(metas[0]["key"], "services");
    assert_eq!(metas[0]["previous_page_url"], Value::Null);
    assert_eq!(
        metas[0]["first_page_url"],
        format!("{}/v2/Services?PageSize=3&Page=0", app.base)
    );
    assert_eq!(metas[0]["url"], format!("{}/v2/Services?PageSize=3&Page=0", app.base));
    assert_eq!(metas[1]["page"], 1);
    assert_eq!(metas[2]["next_page_url"], Value::Null);
    // Back from the last page to the middle one.
    let last: Value = app.get_json(metas[1]["next_page_url"].as_str().unwrap()).await;
    let prev_url = last["meta"]["previous_page_url"].as_str().unwrap().to_owned();
    let prev: Value = app.get_json(&prev_url).await;
    let prev_sids: Vec<&str> = prev["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sid"].as_str().unwrap())
        .collect();
    assert_eq!(prev_sids, created[3..6].iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(prev["meta"]["page"], 1);
}

#[tokio::test]
async fn pagination_urls_follow_the_public_url_when_configured() {
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://chat.example.com/".into())).await;
    app.service().await;
    let page: Value = app.get_json("/v2/Services?PageSize=1").await;
    assert_eq!(
        page["meta"]["url"],
        "https://chat.example.com/v2/Services?PageSize=1&Page=0"
    );
    assert!(
        page["services"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://chat.example.com/v2/Services/IS")
    );
}

#[tokio::test]
async fn pagination_of_users_survives_deletes_between_pages() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let base = format!("/v2/Services/{}/Users", s["sid"].as_str().unwrap());
    for i in 0..5 {
        app.post(&base, &[("Identity", format!("u{i}").as_str())])
            .send()
            .await
            .unwrap();
    }
    let first: Value = app.get_json(&format!("{base}?PageSize=2")).await;
    // Delete the last user of page one: the keyset token still points past it.
    let last_sid = first["users"][1]["sid"].as_str().unwrap();
    app.delete(&format!("{base}/{last_sid}")).send().await.unwrap();
    let next: Value = app.get_json(first["meta"]["next_page_url"].as_str().unwrap()).await;
    let ids: Vec<&str> = next["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["identity"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["u2", "u3"]);
}
