//! A self-signed certificate for 127.0.0.1, written to files for `--tls-cert`/`--tls-key`, and
//! a TLS client that trusts only it.

use std::path::PathBuf;
use std::sync::Arc;

use tempfile::TempDir;

/// A certificate and key on disk, for as long as this lives.
pub struct SelfSigned {
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    cert: rcgen::CertifiedKey<rcgen::KeyPair>,
    _dir: TempDir,
}

impl SelfSigned {
    /// A new certificate for `127.0.0.1`.
    pub fn for_loopback() -> Self {
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert_path, cert.cert.pem()).unwrap();
        std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
        Self {
            cert_path,
            key_path,
            cert,
            _dir: dir,
        }
    }

    /// The server configuration's `tls` value.
    pub fn paths(&self) -> Option<(PathBuf, PathBuf)> {
        Some((self.cert_path.clone(), self.key_path.clone()))
    }

    /// A TLS client that trusts this certificate only.
    pub fn connector(&self) -> tokio_rustls::TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.cert.cert.der().clone()).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }
}
