//! SQL text written once for both dialects.
//!
//! Shared statements are written with PostgreSQL's numbered placeholders (`$1`, `$2`, …) and
//! built once, on first use, into a [`Sql`] that also holds the SQLite text (`?1`, `?2`, …):
//! nothing is converted per request, and both backends' statement caches key on a fixed text.

use super::PageReq;

/// One statement in both dialects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sql {
    pg: String,
    sqlite: String,
}

impl Sql {
    /// Builds the statement from text with `$N` placeholders.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        let pg = text.into();
        let sqlite = to_sqlite(&pg);
        Self { pg, sqlite }
    }

    /// The PostgreSQL text.
    #[must_use]
    pub fn pg(&self) -> &str {
        &self.pg
    }

    /// The SQLite text.
    #[must_use]
    pub fn sqlite(&self) -> &str {
        &self.sqlite
    }
}

/// A keyset-paged list query: one statement per paging direction, built once.
///
/// The statement ends with the keyset tail over `key` (see [`PageReq::keyset`]), whose bound
/// key and row limit are `$2` and `$3`: the query's scope is `$1`, and further parameters
/// (filters) are `$4` onwards.
#[derive(Debug)]
pub struct PagedSql {
    /// Indexed by `[desc][before]`.
    variants: [[Sql; 2]; 2],
}

impl PagedSql {
    /// Builds the four variants of `query(tail)` for keyset column `key`.
    #[must_use]
    pub fn new(key: &str, query: impl Fn(&str) -> String) -> Self {
        let variant = |desc: bool, before: bool| {
            let page = PageReq {
                after: None,
                before: before.then_some(0),
                limit: 0,
                desc,
            };
            Sql::new(query(&page.keyset(key, "$2", "$3").0))
        };
        Self {
            variants: [
                [variant(false, false), variant(false, true)],
                [variant(true, false), variant(true, true)],
            ],
        }
    }

    /// The statement for `page`, its bound key and row limit (`$2`, `$3`), and whether the
    /// rows come back reversed (see [`super::finish_page`]).
    #[must_use]
    pub fn pick(&self, page: &PageReq) -> (&Sql, i64, i64, bool) {
        let (_, bound, limit, reversed) = page.keyset("", "", "");
        let sql = &self.variants[usize::from(page.desc)][usize::from(page.before.is_some())];
        (sql, bound, limit, reversed)
    }
}

/// `$N` → `?N` outside quoted literals and identifiers.
fn to_sqlite(pg: &str) -> String {
    let mut out = String::with_capacity(pg.len());
    let mut quote: Option<char> = None;
    let mut chars = pg.chars().peekable();
    while let Some(ch) = chars.next() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(ch),
            (None, '$') if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('?');
                continue;
            }
            _ => {}
        }
        out.push(ch);
    }
    out
}

/// Declares statics holding [`Sql`] statements built on first use:
/// `shared_sql! { NAME = format!(…); }`.
#[macro_export]
macro_rules! shared_sql {
    ($($(#[$doc:meta])* $vis:vis $name:ident = $text:expr;)+) => {
        $(
            $(#[$doc])*
            $vis static $name: std::sync::LazyLock<$crate::store::sql::Sql> =
                std::sync::LazyLock::new(|| $crate::store::sql::Sql::new($text));
        )+
    };
}

/// Declares statics holding [`PagedSql`] list queries built on first use:
/// `paged_sql! { NAME = ("c.seq", |tail| format!("… and {tail}")); }`.
#[macro_export]
macro_rules! paged_sql {
    ($($(#[$doc:meta])* $vis:vis $name:ident = ($key:expr, $query:expr);)+) => {
        $(
            $(#[$doc])*
            $vis static $name: std::sync::LazyLock<$crate::store::sql::PagedSql> =
                std::sync::LazyLock::new(|| $crate::store::sql::PagedSql::new($key, $query));
        )+
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paged_statements_match_the_per_request_keyset() {
        let q = PagedSql::new("c.seq", |tail| format!("select 1 from t c where c.s = $1 and {tail}"));
        for desc in [false, true] {
            for before in [None, Some(7)] {
                let page = PageReq {
                    after: Some(3),
                    before,
                    limit: 50,
                    desc,
                };
                let (sql, bound, limit, reversed) = q.pick(&page);
                let (tail, b, l, r) = page.keyset("c.seq", "$2", "$3");
                assert_eq!(sql.pg(), format!("select 1 from t c where c.s = $1 and {tail}"));
                assert_eq!((bound, limit, reversed), (b, l, r));
            }
        }
    }

    #[test]
    fn placeholders_are_converted_outside_literals() {
        let s = Sql::new("select '$1', \"$2\" from t where a = $1 and b = $12 and c = '$'");
        assert_eq!(
            s.sqlite(),
            "select '$1', \"$2\" from t where a = ?1 and b = ?12 and c = '$'"
        );
        assert_eq!(
            s.pg(),
            "select '$1', \"$2\" from t where a = $1 and b = $12 and c = '$'"
        );
    }
}
