//! The shared description of the schema (`store::schema`) matches what each backend's
//! migrations create, table for table and column for column, so the column lists, the record
//! decoders and `banter copy` cannot drift from the migrations.

use banter::store::schema::{TABLES, TableKey, UNCOPIED};

use crate::harness::{Backend, backend, test_store};

/// (table, columns in order) of the migrated database of this test run's backend.
async fn migrated_columns() -> Vec<(String, Vec<String>)> {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _db) = test_store(dir.path()).await;
    let store = cfg.open().await.unwrap();
    drop(store);
    let mut out = Vec::new();
    match backend() {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(dir.path().join("banter.db")).unwrap();
            let tables: Vec<String> = conn
                .prepare("select name from sqlite_master where type = 'table' order by name")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            for table in tables {
                let columns: Vec<String> = conn
                    .prepare(&format!("select name from pragma_table_info('{table}') order by cid"))
                    .unwrap()
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                out.push((table, columns));
            }
        }
        Backend::Postgres => {
            let url = cfg.database_url.clone().unwrap();
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
            let driver = tokio::spawn(conn);
            let rows = client
                .query(
                    "select table_name::text, column_name::text from information_schema.columns \
                     where table_schema = 'public' order by table_name, ordinal_position",
                    &[],
                )
                .await
                .unwrap();
            for row in rows {
                let (table, column): (String, String) = (row.get(0), row.get(1));
                match out.last_mut() {
                    Some((t, cols)) if *t == table => cols.push(column),
                    _ => out.push((table, vec![column])),
                }
            }
            drop(client);
            let _ = driver.await;
        }
    }
    out.retain(|(t, _)| t != "auth_epoch" && t != "schema_migrations");
    out
}

#[tokio::test]
async fn schema_the_shared_column_lists_match_the_migrated_database() {
    let migrated = migrated_columns().await;
    let mut names: Vec<&str> = migrated.iter().map(|(t, _)| t.as_str()).collect();
    names.sort_unstable();
    let mut ours: Vec<&str> = TABLES
        .iter()
        .map(|t| t.name)
        .chain(UNCOPIED.iter().map(|(t, _)| *t))
        .collect();
    ours.sort_unstable();
    assert_eq!(names, ours, "tables");
    for table in TABLES {
        let (_, columns) = migrated.iter().find(|(t, _)| t == table.name).unwrap();
        let mut expected: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        if table.key == TableKey::ChannelIdx && columns.first().map(String::as_str) == Some("seq") {
            // A backend may keep messages under a local arrival `seq` that is never copied.
            expected.insert(0, "seq");
        }
        assert_eq!(columns, &expected, "{}", table.name);
    }
    for (name, expected) in UNCOPIED {
        let (_, columns) = migrated.iter().find(|(t, _)| t == name).unwrap();
        assert_eq!(columns, expected, "{name}");
    }
}
