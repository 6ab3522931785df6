//! Database URLs, parsed in one place for `serve`, the operator commands and `copy`.

use std::path::PathBuf;

use anyhow::bail;

/// Where a database lives, as `--database-url`, `--from` and `--to` name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite:PATH` or `sqlite://PATH` (a query string is ignored).
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, passed to the driver as it is.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses a database URL.
    ///
    /// # Errors
    /// For any other scheme.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        match url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            Some(path) => Ok(Self::Sqlite(PathBuf::from(path.split('?').next().unwrap_or(path)))),
            None => bail!("unsupported database URL {url:?}: use sqlite:PATH or postgres://…"),
        }
    }

    /// The URL for messages, with any password masked.
    #[must_use]
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite:{}", path.display()),
            Self::Postgres(url) => redact_password(url),
        }
    }
}

/// `url` with the password (if any) masked.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_both_backends_parse() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:./a.db").unwrap(),
            DatabaseUrl::Sqlite("./a.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/a.db?mode=rwc").unwrap(),
            DatabaseUrl::Sqlite("/tmp/a.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
    }

    #[test]
    fn passwords_are_masked() {
        let url = |u: &str| DatabaseUrl::parse(u).unwrap().redacted();
        assert_eq!(url("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(url("postgres://h/db"), "postgres://h/db");
    }
}
