//! The `Range` request header (RFC 9110 §14.2), one range of bytes.

/// What a `Range` header asks of a file of a known size.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Asked {
    /// The whole file (no usable range: a multi-range or unknown unit is ignored, as allowed).
    Whole,
    /// `start..end` (end exclusive), clamped to the file.
    Part(std::ops::Range<u64>),
    /// Nothing of the file (`416`).
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` against a file of `size` bytes.
pub(super) fn parse(header: &str, size: u64) -> Asked {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Asked::Whole;
    };
    if spec.contains(',') {
        return Asked::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Asked::Whole;
    };
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        match b.parse::<u64>() {
            Ok(0) => return Asked::Unsatisfiable,
            Ok(n) => size.saturating_sub(n)..size,
            Err(_) => return Asked::Whole,
        }
    } else {
        let Ok(start) = a.parse::<u64>() else {
            return Asked::Whole;
        };
        let end = if b.is_empty() {
            size
        } else {
            match b.parse::<u64>() {
                Ok(last) if last >= start => last.saturating_add(1).min(size),
                _ => return Asked::Whole,
            }
        };
        start..end
    };
    if range.start >= size || range.start >= range.end {
        return Asked::Unsatisfiable;
    }
    Asked::Part(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_clamped_and_checked() {
        assert_eq!(parse("bytes=0-9", 100), Asked::Part(0..10));
        assert_eq!(parse("bytes=90-", 100), Asked::Part(90..100));
        assert_eq!(parse("bytes=-10", 100), Asked::Part(90..100));
        assert_eq!(parse("bytes=-1000", 100), Asked::Part(0..100));
        assert_eq!(parse("bytes=50-1000", 100), Asked::Part(50..100));
        assert_eq!(parse("bytes=100-", 100), Asked::Unsatisfiable);
        assert_eq!(parse("bytes=-0", 100), Asked::Unsatisfiable);
        assert_eq!(parse("bytes=0-1,5-6", 100), Asked::Whole);
        assert_eq!(parse("items=0-1", 100), Asked::Whole);
        assert_eq!(parse("bytes=5-2", 100), Asked::Whole);
        assert_eq!(parse("bytes=0-0", 0), Asked::Unsatisfiable);
    }
}
