//! Kill -9 in the middle of a write load: every acknowledged message survives, counters agree
//! with the rows, and indexes stay gap-free.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

fn spawn(dir: &std::path::Path, sid: &str, token: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_banter"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("BANTER_ACCOUNT_SID", sid)
        .env("BANTER_AUTH_TOKEN", token)
        .env("BANTER_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("banter exited before listening").unwrap();
        if let Some(url) = line.strip_prefix("banter listening on ") {
            break url.trim().to_owned();
        }
    };
    (child, base)
}

#[tokio::test]
async fn crash_kill_9_loses_no_acknowledged_message() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let sid = format!("AC{}", banter::sid::secret());
    let token = banter::sid::secret();
    let (mut child, base) = spawn(dir.path(), &sid, &token);
    let http = reqwest::Client::new();
    let post = |path: String, form: Vec<(&'static str, String)>| {
        http.post(format!("{base}{path}"))
            .basic_auth(&sid, Some(&token))
            .form(&form)
            .send()
    };
    let s: Value = post("/v2/Services".into(), vec![("FriendlyName", "crash".into())])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let svc = s["sid"].as_str().unwrap().to_owned();
    let c: Value = post(format!("/v2/Services/{svc}/Channels"), vec![("UniqueName", "c".into())])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let msgs = format!("/v2/Services/{svc}/Channels/{}/Messages", c["sid"].as_str().unwrap());
    // Act: 8 concurrent senders; kill -9 while they run.
    let mut tasks = Vec::new();
    for w in 0..8 {
        let req = http.clone();
        let (url, sid, token) = (format!("{base}{msgs}"), sid.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..400 {
                let r = req
                    .post(&url)
                    .basic_auth(&sid, Some(&token))
                    .form(&[("Body", format!("{w}-{i}"))])
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        let m: Value = r.json().await.unwrap();
                        acked.push(m["sid"].as_str().unwrap().to_owned());
                    }
                    _ => break,
                }
            }
            acked
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    assert!(!acked.is_empty(), "some messages were acknowledged before the kill");
    // Assert: after a restart every acknowledged message is there, counters match the rows.
    let (mut child, base) = spawn(dir.path(), &sid, &token);
    let get = |path: String| http.get(format!("{base}{path}")).basic_auth(&sid, Some(&token)).send();
    let mut stored = Vec::new();
    let mut url = Some(format!("{msgs}?PageSize=1000"));
    while let Some(u) = url {
        let page: Value = get(u.replace(&base, "")).await.unwrap().json().await.unwrap();
        for m in page["messages"].as_array().unwrap() {
            stored.push((m["index"].as_i64().unwrap(), m["sid"].as_str().unwrap().to_owned()));
        }
        url = page["meta"]["next_page_url"].as_str().map(str::to_owned);
    }
    let channel: Value = get(format!("/v2/Services/{svc}/Channels/c"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let indexes: Vec<i64> = stored.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        indexes,
        (0..i64::try_from(stored.len()).unwrap()).collect::<Vec<_>>(),
        "gap-free after the crash"
    );
    assert_eq!(channel["messages_count"], stored.len());
    let sids: std::collections::HashSet<&str> = stored.iter().map(|(_, s)| s.as_str()).collect();
    for a in &acked {
        assert!(sids.contains(a.as_str()), "acknowledged message {a} was lost");
    }
}
