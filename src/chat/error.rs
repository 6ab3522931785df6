//! Why a chat operation failed: one table of the Twilio error codes Banter answers with, each
//! with its HTTP status and Twilio's title. Knows nothing of HTTP beyond the status number.

use crate::store::StoreError;

/// A Twilio error code Banter answers with: its HTTP status and Twilio's title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// Twilio's number.
    pub code: u32,
    /// The HTTP status it is answered with.
    pub status: u16,
    /// Twilio's title (the error dictionary's wording where it has one).
    pub title: &'static str,
}

/// Every code Banter gives. Statuses follow Twilio: validation 400, credentials 401,
/// authorization and limits 403, missing resources 404, duplicates 409, webhooks that failed
/// 502, and the store 500/503.
pub const CODES: &[Code] = &[
    c(20001, 400, "Invalid parameter"),
    c(20003, 401, "Authenticate"),
    c(20004, 405, "Method not allowed"),
    c(20101, 401, "Invalid Access Token"),
    c(20102, 401, "Invalid Access Token header"),
    c(20103, 401, "Invalid Access Token issuer/subject"),
    c(20104, 401, "Access Token expired or expiration date invalid"),
    c(20105, 401, "Access Token not yet valid"),
    c(20106, 401, "Invalid Access Token grants"),
    c(20107, 401, "Invalid Access Token signature"),
    c(20403, 403, "Forbidden"),
    c(20404, 404, "Resource not found"),
    c(20429, 429, "Too Many Requests"),
    c(20500, 500, "Internal error"),
    c(20503, 503, "Service Unavailable"),
    c(50003, 400, "Friendly name too long"),
    c(50004, 400, "Unique Name too long"),
    c(50058, 400, "Notification template too long"),
    c(50065, 400, "Invalid webhook retry count"),
    c(50076, 502, "Webhook failed"),
    c(50100, 400, "Role not found"),
    c(50101, 400, "Channel role not found"),
    c(50104, 400, "Permission not found"),
    c(50105, 400, "Invalid role type"),
    c(50107, 403, "User not authorized for command"),
    c(50201, 409, "User already exists"),
    c(50204, 400, "Identity not provided"),
    c(50205, 403, "User unauthorized to set role"),
    c(50207, 400, "Identity too long"),
    c(50208, 403, "User channel limit exceeded"),
    c(50212, 409, "User already invited"),
    c(50303, 400, "Attributes too long"),
    c(50304, 400, "Attributes not valid JSON"),
    c(50307, 409, "Channel unique name already exists"),
    c(50375, 400, "TimeToInactive should be greater or equal to 1 minute"),
    c(50376, 400, "TimeToClosed should be greater or equal to 10 minutes"),
    c(50377, 400, "Can't update conversation as it's in final closed state"),
    c(50379, 400, "TimeToInactive format is invalid"),
    c(50380, 400, "TimeToClosed format is invalid"),
    c(50310, 400, "Author parameter too long"),
    c(50321, 403, "Too many channel webhooks"),
    c(50322, 400, "Too many trigger keywords"),
    c(50400, 403, "User not member of channel"),
    c(50403, 403, "Channel member limit exceeded"),
    c(50404, 409, "Member already exists"),
    c(
        50416,
        409,
        "A binding for this participant and proxy address already exists",
    ),
    c(50504, 400, "Message body too long"),
    c(50507, 400, "Media not found"),
    c(50508, 400, "Media already sent with another message"),
    c(50512, 413, "Message media size is too large"),
];

const fn c(code: u32, status: u16, title: &'static str) -> Code {
    Code { code, status, title }
}

/// The entry of `code`; an unlisted code is a 400 (every code outside the table is a
/// validation error of some parameter).
#[must_use]
pub fn code(code: u32) -> Code {
    CODES.iter().find(|c| c.code == code).copied().unwrap_or(Code {
        code,
        status: 400,
        title: "Invalid parameter",
    })
}

/// A domain failure.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The addressed resource (or one it depends on) does not exist for this caller.
    #[error("not found")]
    NotFound,
    /// The credential that authenticated the request was revoked meanwhile (its account was
    /// deleted after the credential check passed).
    #[error("credential revoked")]
    Revoked,
    /// A refusal with a Twilio code from [`CODES`] (which gives its status) and a message
    /// saying what was wrong.
    #[error("{message}")]
    Twilio {
        /// Twilio error code.
        code: u32,
        /// Human-readable explanation (names the parameter where there is one).
        message: String,
    },
    /// A change refused because other data still depends on what it would remove (a role in
    /// use): `code` as for its parameter, answered with 409 whatever the table says.
    #[error("{message}")]
    InUse {
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
    /// A refusal with Twilio's `code` and a message.
    #[must_use]
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        Self::Twilio {
            code,
            message: message.into(),
        }
    }

    /// A refusal with Twilio's `code` and the table's title as its message.
    #[must_use]
    pub fn titled(code: u32) -> Self {
        Self::new(code, self::code(code).title)
    }

    /// 403 / 50107: the acting user's roles lack `permission`.
    #[must_use]
    pub fn not_permitted(permission: &str) -> Self {
        Self::new(
            50107,
            format!("User not authorized for command: the {permission} permission is required"),
        )
    }

    /// 403 / 20403: only the account's operator may do this.
    #[must_use]
    pub fn operator_only() -> Self {
        Self::new(20403, "Forbidden: this action needs the account's credentials")
    }

    /// A 20001 "invalid parameter" error naming `param`.
    #[must_use]
    pub fn invalid(param: &str, reason: &str) -> Self {
        Self::new(20001, format!("Invalid parameter {param}: {reason}"))
    }

    /// An "invalid parameter" error with a specific Twilio code.
    #[must_use]
    pub fn invalid_code(code: u32, message: impl Into<String>) -> Self {
        Self::new(code, message)
    }

    /// A required parameter was not sent.
    #[must_use]
    pub fn missing(param: &str) -> Self {
        Self::new(20001, format!("Missing required parameter {param} in the post body"))
    }

    /// Twilio's code for this failure.
    #[must_use]
    pub fn code(&self) -> u32 {
        match self {
            Self::NotFound => 20404,
            Self::Revoked => 20003,
            Self::Twilio { code, .. } | Self::InUse { code, .. } => *code,
            Self::Store(StoreError::Unavailable(_)) => 20503,
            Self::Store(_) => 20500,
        }
    }

    /// The HTTP status this failure is answered with.
    #[must_use]
    pub fn status(&self) -> u16 {
        if let Self::InUse { .. } = self {
            return 409;
        }
        code(self.code()).status
    }

    /// What the caller is told. Store failures are logged here and told only by their title.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::NotFound => String::new(),
            Self::Revoked => "Authenticate".to_owned(),
            Self::Twilio { message, .. } | Self::InUse { message, .. } => message.clone(),
            Self::Store(e) => {
                if matches!(e, StoreError::Unavailable(_)) {
                    tracing::error!(error = %e, "store unavailable");
                } else {
                    tracing::error!(error = %e, "store failure");
                }
                code(self.code()).title.to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_with_an_error_status() {
        for (i, c) in CODES.iter().enumerate() {
            assert!((400..600).contains(&c.status), "{c:?}");
            assert!(CODES[i + 1..].iter().all(|d| d.code != c.code), "{} twice", c.code);
        }
    }

    #[test]
    fn statuses_come_from_the_table() {
        assert_eq!(ChatError::not_permitted("sendMessage").status(), 403);
        assert_eq!(ChatError::new(50404, "dup").status(), 409);
        assert_eq!(ChatError::new(20107, "sig").status(), 401);
        assert_eq!(ChatError::new(59999, "x").status(), 400);
        assert_eq!(ChatError::NotFound.status(), 404);
        assert_eq!(ChatError::Store(StoreError::unavailable("down")).status(), 503);
    }
}
