//! `banter copy` carries media files along: for every media record of the source database,
//! the file moves from the source's media storage to the destination's, unless the destination
//! already holds it (same size), so a second run copies nothing and two databases sharing one
//! object store copy nothing at all.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use super::{BlobError, Blobs, S3Options};
use crate::dburl::DatabaseUrl;
use crate::store::copy::{CopyKey, TableCopy, TableKey};
use crate::store::schema;

/// Media records read per batch.
const BATCH: u32 = 500;

/// What a media copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaReport {
    /// Files copied.
    pub copied: u64,
    /// Files the destination already held.
    pub present: u64,
    /// Records whose file the source storage does not hold (listed on stderr).
    pub missing: u64,
}

/// Where the media files of database `db_url` live: `given` (`s3://…` or a directory), or for
/// a SQLite file the `media` directory beside it (the data directory's layout); `None` for
/// PostgreSQL without `given`.
#[must_use]
pub fn location(db_url: &str, given: Option<&str>) -> Option<String> {
    if let Some(g) = given {
        return Some(g.to_owned());
    }
    match DatabaseUrl::parse(db_url).ok()? {
        DatabaseUrl::Sqlite(path) => {
            let dir = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            Some(dir.join("media").display().to_string())
        }
        DatabaseUrl::Postgres(_) => None,
    }
}

/// Opens a media location of [`location`] (S3 settings from the `AWS_*` variables).
///
/// # Errors
/// A bad URL or a directory that cannot be created.
pub fn open_location(location: &str) -> anyhow::Result<Arc<dyn Blobs>> {
    if location.starts_with("s3://") {
        return Ok(Arc::new(super::s3::S3Blobs::open(location, &S3Options::default())?));
    }
    Ok(Arc::new(super::disk::DiskBlobs::at(Path::new(location))?))
}

/// The media part of `banter copy` from database `from` to `to`: the files of the source's
/// media records, unless a side's media location is unknown (PostgreSQL without
/// `--from-media` / `--to-media`). Returns the line to print.
///
/// # Errors
/// As for [`copy`].
pub async fn run(from: &str, to: &str, from_media: Option<&str>, to_media: Option<&str>) -> anyhow::Result<String> {
    let (Some(src), Some(dst)) = (location(from, from_media), location(to, to_media)) else {
        return Ok("media files not copied: pass --from-media and --to-media for a PostgreSQL database".to_owned());
    };
    if src == dst {
        return Ok(format!("media: the source and destination share {src}"));
    }
    let db = crate::copy::open(from, true).await?;
    let report = copy(
        db.as_ref(),
        open_location(&src)?.as_ref(),
        open_location(&dst)?.as_ref(),
    )
    .await
    .context("copying media files")?;
    Ok(format!(
        "media: {} files copied, {} already there, {} missing in the source",
        report.copied, report.present, report.missing
    ))
}

/// Copies the file of every media record in `db` from `from` to `to`.
///
/// # Errors
/// When the records cannot be read or a file cannot be read or written.
pub async fn copy(db: &dyn TableCopy, from: &dyn Blobs, to: &dyn Blobs) -> anyhow::Result<MediaReport> {
    let table = schema::table("media").context("the media table")?;
    debug_assert_eq!(table.key, TableKey::Seq);
    let column = |name: &str| table.columns.iter().position(|c| c.name == name);
    let (Some(sid_at), Some(service_at), Some(size_at)) = (column("sid"), column("service_sid"), column("size")) else {
        anyhow::bail!("the media table lacks sid, service_sid or size");
    };
    let mut report = MediaReport::default();
    let mut after = None;
    loop {
        let rows = db.export(table, after.clone(), BATCH).await?;
        let Some(last) = rows.last() else { break };
        after = Some(CopyKey::Seq(last[0].as_i64().context("media seq")?));
        for row in &rows {
            let (Some(sid), Some(service), Some(size)) =
                (row[sid_at].as_str(), row[service_at].as_str(), row[size_at].as_u64())
            else {
                anyhow::bail!("a media record without sid, service or size: {row:?}");
            };
            let key = super::key(service, sid);
            match to.size(&key).await {
                Ok(n) if n == size => {
                    report.present += 1;
                    continue;
                }
                Ok(_) | Err(BlobError::NotFound) => {}
                Err(e) => return Err(e).with_context(|| format!("checking {key} in the destination")),
            }
            let download = match from.get(&key, None).await {
                Ok(d) => d,
                Err(BlobError::NotFound) => {
                    eprintln!("media {key}: no file in the source storage ({})", from.describe());
                    report.missing += 1;
                    continue;
                }
                Err(e) => return Err(e).with_context(|| format!("reading {key}")),
            };
            let written = to
                .put(&key, download.body)
                .await
                .with_context(|| format!("writing {key}"))?;
            if written != size {
                anyhow::bail!("media {key}: copied {written} bytes, its record says {size}");
            }
            report.copied += 1;
        }
    }
    Ok(report)
}
