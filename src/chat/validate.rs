//! Shared input rules: attributes, names and lengths.

use super::ChatError;

/// Longest `Attributes` JSON text accepted (bytes).
pub const MAX_ATTRIBUTES: usize = 16 * 1024;

/// Longest friendly name accepted (characters).
pub const MAX_FRIENDLY_NAME: usize = 256;

/// Longest identity-like text: `CreatedBy`, notification sounds, trigger keywords (characters).
pub const MAX_NAME: usize = 256;

/// Longest webhook URL (characters).
pub const MAX_URL: usize = 2048;

/// Longest push credential material: certificate, private key, API key, secret (bytes).
pub const MAX_SECRET: usize = 16 * 1024;

/// Checks a free-text parameter's length (`max` characters).
///
/// # Errors
/// 20001 naming the parameter when too long.
pub fn text(param: &str, value: &str, max: usize) -> Result<String, ChatError> {
    if value.len() > max && value.chars().count() > max {
        return Err(ChatError::invalid(
            param,
            &format!("is too long (maximum {max} characters)"),
        ));
    }
    Ok(value.to_owned())
}

/// Checks that `attributes` is valid JSON within the size limit, and returns it unchanged.
///
/// # Errors
/// 50303 when too long, 50304 when not JSON.
pub fn attributes(attributes: &str) -> Result<String, ChatError> {
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(ChatError::invalid_code(50303, "Attributes too long"));
    }
    if serde_json::from_str::<serde_json::Value>(attributes).is_err() {
        return Err(ChatError::invalid_code(50304, "Attributes must be a valid JSON string"));
    }
    Ok(attributes.to_owned())
}

/// Checks a friendly name's length (`max` characters).
///
/// # Errors
/// 50003 when too long.
pub fn friendly_name(name: &str, max: usize) -> Result<String, ChatError> {
    if name.chars().count() > max {
        return Err(ChatError::invalid_code(
            50003,
            format!("FriendlyName is too long (maximum {max} characters)"),
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_must_be_json() {
        assert_eq!(attributes(r#"{"a":1}"#).unwrap(), r#"{"a":1}"#);
        assert!(matches!(
            attributes("{nope"),
            Err(ChatError::Twilio { code: 50304, .. })
        ));
        let long = format!("\"{}\"", "x".repeat(MAX_ATTRIBUTES));
        assert!(matches!(attributes(&long), Err(ChatError::Twilio { code: 50303, .. })));
    }
}
