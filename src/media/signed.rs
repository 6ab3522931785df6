//! Signed download URLs: `…/Media/{ME}/Content?Expires={unix}&Signature={tag}` works without
//! credentials (an `<img src>`) until it expires. The tag is an HMAC of the service, the media
//! and the expiry under a key derived from the server key, so every node verifies what any
//! node signed.

use base64::Engine;

use crate::secrets::Secrets;

fn message(service_sid: &str, media_sid: &str, expires: i64) -> String {
    format!("media-content\n{service_sid}\n{media_sid}\n{expires}")
}

/// The query string (`Expires=…&Signature=…`) of a URL valid until `expires` (Unix seconds).
#[must_use]
pub fn query(secrets: &Secrets, service_sid: &str, media_sid: &str, expires: i64) -> String {
    let tag = secrets.sign_url(message(service_sid, media_sid, expires).as_bytes());
    let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag);
    format!("Expires={expires}&Signature={tag}")
}

/// Why a signed URL is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The signature does not match (tampered, or another server key).
    BadSignature,
    /// It expired.
    Expired,
}

/// Checks a signed URL's `Expires` and `Signature` at time `now` (Unix seconds).
///
/// # Errors
/// [`Refused`].
pub fn verify(
    secrets: &Secrets,
    service_sid: &str,
    media_sid: &str,
    expires: &str,
    signature: &str,
    now: i64,
) -> Result<(), Refused> {
    let expires: i64 = expires.parse().map_err(|_| Refused::BadSignature)?;
    let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Refused::BadSignature)?;
    if !secrets.verify_url(message(service_sid, media_sid, expires).as_bytes(), &tag) {
        return Err(Refused::BadSignature);
    }
    if now > expires {
        return Err(Refused::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(q: &str) -> (String, String) {
        let mut it = q
            .split('&')
            .map(|p| p.split_once('=').map(|(_, v)| v.to_owned()).unwrap_or_default());
        (it.next().unwrap_or_default(), it.next().unwrap_or_default())
    }

    #[test]
    fn signed_urls_verify_until_they_expire_and_only_for_their_media() {
        let s = Secrets::from_bytes(&[7; 32]).expect("key");
        let (exp, sig) = parts(&query(&s, "IS1", "ME1", 1000));
        assert_eq!(exp, "1000");
        assert_eq!(verify(&s, "IS1", "ME1", &exp, &sig, 999), Ok(()));
        assert_eq!(verify(&s, "IS1", "ME1", &exp, &sig, 1001), Err(Refused::Expired));
        assert_eq!(verify(&s, "IS1", "ME2", &exp, &sig, 999), Err(Refused::BadSignature));
        assert_eq!(verify(&s, "IS1", "ME1", "2000", &sig, 999), Err(Refused::BadSignature));
        let other = Secrets::from_bytes(&[8; 32]).expect("key");
        assert_eq!(
            verify(&other, "IS1", "ME1", &exp, &sig, 999),
            Err(Refused::BadSignature)
        );
    }
}
