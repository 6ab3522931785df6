//! Why a chat operation failed. Knows Twilio's error codes, not HTTP.

use crate::store::StoreError;

/// A domain failure. The HTTP layer maps each variant to a status and Twilio's JSON body.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The addressed resource (or one it depends on) does not exist for this account.
    #[error("not found")]
    NotFound,
    /// The credential that authenticated the request was revoked meanwhile (its account was
    /// deleted after the credential check passed).
    #[error("credential revoked")]
    Revoked,
    /// A parameter is missing or invalid. `code` is Twilio's (20001 when nothing more precise).
    #[error("{message}")]
    Invalid {
        /// Twilio error code.
        code: u32,
        /// Human-readable explanation naming the parameter.
        message: String,
    },
    /// The change collides with existing data (duplicate identity, unique name, ...).
    #[error("{message}")]
    Conflict {
        /// Twilio error code.
        code: u32,
        /// Human-readable explanation.
        message: String,
    },
    /// A limit or rule forbids the change.
    #[error("{message}")]
    Forbidden {
        /// Twilio error code.
        code: u32,
        /// Human-readable explanation.
        message: String,
    },
    /// A webhook the action depends on gave no usable answer (unreachable, refused, timed out).
    #[error("{message}")]
    HookUnavailable {
        /// Twilio error code.
        code: u32,
        /// Human-readable explanation.
        message: String,
    },
    /// An Access Token was refused. `code` is Twilio's (20101–20107), `message` its title and
    /// what was wrong.
    #[error("{message}")]
    BadToken {
        /// Twilio error code.
        code: u32,
        /// Human-readable explanation.
        message: String,
    },
    /// The store failed; details go to logs only.
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
}

impl ChatError {
    /// A 20001 "invalid parameter" error naming `param`.
    #[must_use]
    pub fn invalid(param: &str, reason: &str) -> Self {
        Self::Invalid {
            code: 20001,
            message: format!("Invalid parameter {param}: {reason}"),
        }
    }

    /// An "invalid parameter" error with a specific Twilio code.
    #[must_use]
    pub fn invalid_code(code: u32, message: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
        }
    }

    /// A required parameter was not sent.
    #[must_use]
    pub fn missing(param: &str) -> Self {
        Self::Invalid {
            code: 20001,
            message: format!("Missing required parameter {param} in the post body"),
        }
    }
}
