//! SIDs: a two-letter prefix and 32 lowercase hex digits, exactly as Twilio emits them.
//!
//! The CLI and the SDKs validate SIDs against `^XX[0-9a-fA-F]{32}$`, so every identifier Banter
//! hands out has that form. Prefixes name the resource (`IS` service, `CH` channel, ...).

use rand::RngCore;

/// Account (`AC`).
pub const ACCOUNT: &str = "AC";
/// API key (`SK`).
pub const API_KEY: &str = "SK";
/// Chat service (`IS`).
pub const SERVICE: &str = "IS";
/// Role (`RL`).
pub const ROLE: &str = "RL";
/// User (`US`).
pub const USER: &str = "US";
/// Push credential (`CR`).
pub const CREDENTIAL: &str = "CR";
/// Channel (`CH`).
pub const CHANNEL: &str = "CH";
/// Member (`MB`).
pub const MEMBER: &str = "MB";
/// Message (`IM`).
pub const MESSAGE: &str = "IM";
/// Invite (`IN`).
pub const INVITE: &str = "IN";
/// Binding (`BS`).
pub const BINDING: &str = "BS";
/// Channel webhook (`WH`).
pub const WEBHOOK: &str = "WH";
/// Media (`ME`).
pub const MEDIA: &str = "ME";

/// Generates a fresh SID with the given prefix.
///
/// The first 12 hex digits are the creation time in milliseconds and the other 20 are random
/// (80 bits), so SIDs created one after another sort together: a new row's entry in a SID index
/// lands on the index's last page instead of a random one, which keeps each group commit to a
/// handful of dirty pages however large the table grows. Clients see an ordinary Twilio SID.
#[must_use]
pub fn generate(prefix: &str) -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    rand::rng().fill_bytes(&mut bytes[6..]);
    let mut sid = String::with_capacity(34);
    sid.push_str(prefix);
    sid.push_str(&hex::encode(bytes));
    sid
}

/// Generates a random secret of 32 lowercase hex digits (auth tokens, API key secrets).
#[must_use]
pub fn secret() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// True when `s` is `prefix` followed by exactly 32 hex digits (either case, as the spec allows).
#[must_use]
pub fn is_sid(prefix: &str, s: &str) -> bool {
    s.len() == 34 && s.starts_with(prefix) && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// True when `s` has the shape of any SID (two ASCII letters and 32 hex digits).
#[must_use]
pub fn looks_like_sid(s: &str) -> bool {
    s.len() == 34
        && s.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)
        && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_sids_match_the_twilio_pattern() {
        let sid = generate(CHANNEL);
        assert!(is_sid(CHANNEL, &sid), "{sid}");
        assert_eq!(sid.len(), 34);
        assert!(
            sid[2..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_ne!(generate(CHANNEL), sid);
    }

    #[test]
    fn sids_created_later_sort_later() {
        let first = generate(MESSAGE);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = generate(MESSAGE);
        assert!(second > first, "{first} then {second}");
        assert_ne!(first[14..], second[14..], "the random part differs");
    }

    #[test]
    fn is_sid_rejects_wrong_prefix_and_length() {
        let sid = generate(USER);
        assert!(!is_sid(CHANNEL, &sid));
        assert!(!is_sid(USER, &sid[..33]));
        assert!(!is_sid(USER, "USzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"));
        assert!(looks_like_sid(&sid));
        assert!(!looks_like_sid("alice"));
    }
}
