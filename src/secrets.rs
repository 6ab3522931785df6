//! Secrets at rest: auth tokens, API key secrets and push credential material are stored
//! sealed with the server key (ChaCha20-Poly1305), never in plain text.
//!
//! The key is 32 random bytes. The operator gives it (`--secret-key`, 64 hex digits) or Banter
//! generates it on first start into `secret.key` in the data directory (mode 0600, the
//! directory 0700). Every node of a shared database and every command run against it must use
//! the same key: losing it makes every stored secret unreadable (accounts, API keys and push
//! credentials must then be created again).
//!
//! A sealed value reads `sealed:v1:` followed by base64url of nonce ‖ ciphertext ‖ tag. The
//! associated data names the field and the row (`auth_token:AC…`), so a sealed value cannot be
//! moved to another row or field. Values without the prefix are legacy plain text, which
//! [`Secrets::open`] passes through and the server seals at start-up.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// Marks a sealed value.
const PREFIX: &str = "sealed:v1:";

/// What the URL-signing key is derived under (see [`Secrets::sign_url`]).
const URL_KEY_LABEL: &[u8] = b"banter signed URL key v1";

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "secret.key";

/// A sealed value that does not open with this key.
#[derive(Debug, thiserror::Error)]
#[error("a stored secret cannot be opened with this server key (was it sealed with another key?)")]
pub struct WrongKey;

/// The server key; seals and opens stored secrets.
pub struct Secrets {
    key: LessSafeKey,
    rng: SystemRandom,
    /// Signs URLs that work without credentials (media downloads), derived from the server key
    /// so every node signs and verifies alike.
    url_key: ring::hmac::Key,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(…)")
    }
}

impl Secrets {
    /// Uses `key` (32 bytes).
    ///
    /// # Errors
    /// When the key is not 32 bytes long.
    pub fn from_bytes(key: &[u8]) -> anyhow::Result<Self> {
        let unbound =
            UnboundKey::new(&CHACHA20_POLY1305, key).map_err(|_| anyhow::anyhow!("the secret key must be 32 bytes"))?;
        let derived = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key), URL_KEY_LABEL);
        Ok(Self {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
            url_key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, derived.as_ref()),
        })
    }

    /// An HMAC-SHA256 tag of `data` under the URL-signing key.
    #[must_use]
    pub fn sign_url(&self, data: &[u8]) -> Vec<u8> {
        ring::hmac::sign(&self.url_key, data).as_ref().to_vec()
    }

    /// Whether `tag` is [`Secrets::sign_url`] of `data` (compared in constant time).
    #[must_use]
    pub fn verify_url(&self, data: &[u8], tag: &[u8]) -> bool {
        ring::hmac::verify(&self.url_key, data, tag).is_ok()
    }

    /// The operator's key (64 hex digits) when given, otherwise the one in `data_dir`, created
    /// there on first use. Creates `data_dir` with mode 0700.
    ///
    /// # Errors
    /// A malformed key, or a key file that cannot be read or created.
    pub fn load(data_dir: &Path, given: Option<&str>) -> anyhow::Result<Self> {
        if let Some(hex_key) = given {
            let bytes = hex::decode(hex_key.trim()).context("--secret-key must be 64 hex digits")?;
            if bytes.len() != 32 {
                bail!("--secret-key must be 64 hex digits (32 bytes)");
            }
            return Self::from_bytes(&bytes);
        }
        private_dir(data_dir)?;
        let path = data_dir.join(KEY_FILE);
        if !path.exists() {
            create_key_file(data_dir)?;
        }
        let text = fs::read_to_string(&path).with_context(|| format!("reading the secret key {}", path.display()))?;
        let bytes = hex::decode(text.trim()).with_context(|| format!("{} must hold 64 hex digits", path.display()))?;
        Self::from_bytes(&bytes).with_context(|| format!("{} must hold 64 hex digits", path.display()))
    }

    /// Seals `plain`, bound to `context` (field and row, e.g. `auth_token:AC…`).
    ///
    /// # Panics
    /// Never in practice: only if the system's random source fails.
    #[must_use]
    pub fn seal(&self, context: &str, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        #[allow(clippy::expect_used)]
        self.rng.fill(&mut nonce).expect("the system random source failed");
        let mut buf = plain.as_bytes().to_vec();
        #[allow(clippy::expect_used)]
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .expect("sealing cannot fail for inputs under 256 GiB");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
        )
    }

    /// Opens a stored value sealed with `context`; legacy plain text comes back as it is.
    ///
    /// # Errors
    /// [`WrongKey`] when the value was sealed with another key, for another row, or altered.
    pub fn open(&self, context: &str, stored: &str) -> Result<String, WrongKey> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| WrongKey)?;
        if raw.len() < NONCE_LEN {
            return Err(WrongKey);
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| WrongKey)?;
        let mut buf = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf)
            .map_err(|_| WrongKey)?;
        String::from_utf8(plain.to_vec()).map_err(|_| WrongKey)
    }

    /// Whether a stored value is sealed (rather than legacy plain text).
    #[must_use]
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

/// Creates `dir` (and parents) if needed and makes it private to this user (0700).
///
/// # Errors
/// When the directory cannot be created or its mode set.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating data directory {}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("making data directory {} private", dir.display()))?;
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir).with_context(|| format!("creating data directory {}", dir.display()))?;
    Ok(())
}

/// Makes an existing file private to this user (0600); a missing file is not an error.
///
/// # Errors
/// When the mode of an existing file cannot be set.
pub fn private_file(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if path.exists() {
            fs::set_permissions(path, fs::Permissions::from_mode(0o600))
                .with_context(|| format!("making {} private", path.display()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates an empty file private to this user (0600) unless it exists.
///
/// # Errors
/// When the file cannot be created.
pub fn create_private_file(path: &Path) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

/// Writes a new random key to `dir/secret.key` without ever exposing a partial file: the key
/// is written to a temporary file, then linked into place (which fails if another process
/// won the race; its key is then used).
fn create_key_file(dir: &Path) -> anyhow::Result<()> {
    let mut key = [0u8; 32];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| anyhow::anyhow!("the system random source failed"))?;
    let tmp = dir.join(format!("{KEY_FILE}.{}.tmp", std::process::id()));
    let _ = fs::remove_file(&tmp);
    create_private_file(&tmp)?;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    writeln!(file, "{}", hex::encode(key)).and_then(|()| file.sync_all())?;
    drop(file);
    let linked = fs::hard_link(&tmp, dir.join(KEY_FILE));
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::warn!(
                path = %dir.join(KEY_FILE).display(),
                "generated a new secret key: back it up; without it stored secrets cannot be read"
            );
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating {}", dir.join(KEY_FILE).display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let a = Secrets::from_bytes(&[7u8; 32]).unwrap();
        let b = Secrets::from_bytes(&[8u8; 32]).unwrap();
        let sealed = a.seal("auth_token:AC1", "hunter2");
        assert!(Secrets::is_sealed(&sealed));
        assert!(!sealed.contains("hunter2"));
        assert_ne!(sealed, a.seal("auth_token:AC1", "hunter2"), "a fresh nonce every time");
        assert_eq!(a.open("auth_token:AC1", &sealed).unwrap(), "hunter2");
        assert!(a.open("auth_token:AC2", &sealed).is_err());
        assert!(b.open("auth_token:AC1", &sealed).is_err());
        assert!(a.open("auth_token:AC1", "sealed:v1:AAAA").is_err());
        assert_eq!(a.open("auth_token:AC1", "legacy").unwrap(), "legacy");
    }

    #[test]
    fn the_key_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = Secrets::load(&data, None).unwrap();
        let sealed = first.seal("x", "y");
        let again = Secrets::load(&data, None).unwrap();
        assert_eq!(again.open("x", &sealed).unwrap(), "y");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&data), 0o700);
            assert_eq!(mode(&data.join(KEY_FILE)), 0o600);
        }
        let given = Secrets::load(&data, Some(&"ab".repeat(32))).unwrap();
        assert!(given.open("x", &sealed).is_err());
        assert!(Secrets::load(&data, Some("abc")).is_err());
    }
}
