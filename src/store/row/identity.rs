//! Decoders of the account-level and service-level records: accounts, API keys, services,
//! roles, users, push credentials and bindings.

use super::{Cells, Cursor};
use crate::store::{
    Account, AddressConfig, ApiKey, Binding, ConversationsAccount, Credential, Grants, Keyed, Role, RoleType, Service,
    StoreError, User,
};

/// What an [`Account`] is read from.
pub const ACCOUNT_COLUMNS: &[&str] = &["sid", "auth_token", "friendly_name", "date_created"];

/// Decodes an [`Account`] (columns [`ACCOUNT_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn account(r: &(impl Cells + ?Sized), at: usize) -> Result<Account, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Account {
        sid: c.text()?,
        auth_token: c.text()?,
        friendly_name: c.text()?,
        date_created: c.ts()?,
    })
}

/// What an [`ApiKey`] is read from.
pub const API_KEY_COLUMNS: &[&str] = &["sid", "account_sid", "secret", "friendly_name", "date_created"];

/// Decodes an [`ApiKey`] (columns [`API_KEY_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn api_key(r: &(impl Cells + ?Sized), at: usize) -> Result<ApiKey, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(ApiKey {
        sid: c.text()?,
        account_sid: c.text()?,
        secret: c.text()?,
        friendly_name: c.text()?,
        date_created: c.ts()?,
    })
}

/// What a [`Service`] is read from.
pub const SERVICE_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "friendly_name",
    "date_created",
    "date_updated",
    "revision",
    "settings",
];

/// Decodes a [`Service`] (columns [`SERVICE_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn service(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Service>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: Service {
            sid: c.text()?,
            account_sid: c.text()?,
            friendly_name: c.text()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
            revision: c.int()?,
            settings: c.json()?,
        },
    })
}

/// What a [`Role`] is read from.
pub const ROLE_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "service_sid",
    "friendly_name",
    "type",
    "permissions",
    "date_created",
    "date_updated",
];

/// Decodes a [`Role`] (columns [`ROLE_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read or the role type is unknown.
pub fn role(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Role>, StoreError> {
    let mut c = Cursor::new(r, at);
    let key = c.int()?;
    let (sid, account_sid, service_sid, friendly_name) = (c.text()?, c.text()?, c.text()?, c.text()?);
    let type_at = c.at;
    let role_type = c.text()?;
    let role_type = RoleType::parse(&role_type)
        .ok_or_else(|| StoreError::unreadable(type_at, format!("role type {role_type:?}")))?;
    Ok(Keyed {
        key,
        item: Role {
            sid,
            account_sid,
            service_sid,
            friendly_name,
            role_type,
            permissions: c.json()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
        },
    })
}

/// What a [`User`] is read from.
pub const USER_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "service_sid",
    "role_sid",
    "identity",
    "attributes",
    "friendly_name",
    "joined_channels_count",
    "date_created",
    "date_updated",
];

/// Decodes a [`User`] (columns [`USER_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn user(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<User>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: User {
            sid: c.text()?,
            account_sid: c.text()?,
            service_sid: c.text()?,
            role_sid: c.opt_text()?,
            identity: c.text()?,
            attributes: c.opt_text()?,
            friendly_name: c.opt_text()?,
            joined_channels_count: c.int()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
        },
    })
}

/// What a [`Credential`] is read from.
pub const CREDENTIAL_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "friendly_name",
    "type",
    "sandbox",
    "certificate",
    "private_key",
    "api_key",
    "secret",
    "date_created",
    "date_updated",
];

/// Decodes a [`Credential`] (columns [`CREDENTIAL_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn credential(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Credential>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: Credential {
            sid: c.text()?,
            account_sid: c.text()?,
            friendly_name: c.opt_text()?,
            credential_type: c.text()?,
            sandbox: c.opt_bool()?,
            certificate: c.opt_text()?,
            private_key: c.opt_text()?,
            api_key: c.opt_text()?,
            secret: c.opt_text()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
        },
    })
}

/// What a [`Binding`] is read from.
pub const BINDING_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "service_sid",
    "identity",
    "endpoint",
    "credential_sid",
    "binding_type",
    "message_types",
    "date_created",
    "date_updated",
];

/// Decodes a [`Binding`] (columns [`BINDING_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn binding(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Binding>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: Binding {
            sid: c.text()?,
            account_sid: c.text()?,
            service_sid: c.text()?,
            identity: c.text()?,
            endpoint: c.text()?,
            credential_sid: c.opt_text()?,
            binding_type: c.text()?,
            message_types: c.json()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
        },
    })
}

/// Decodes [`Grants`] from the columns of `store::queries::users::GRANTS`.
///
/// # Errors
/// When a cell cannot be read, or the user SID is NULL.
pub fn grants(r: &(impl Cells + ?Sized)) -> Result<Grants, StoreError> {
    grants_at(r, 0)?.ok_or_else(|| StoreError::unreadable(0, "unexpected NULL"))
}

/// Decodes [`Grants`] from five columns starting at `at` (user SID, service role permissions,
/// member SID, channel role permissions, invited); `None` when the user SID is NULL (no such
/// user, from an outer join).
///
/// # Errors
/// When a cell cannot be read.
pub fn grants_at(r: &(impl Cells + ?Sized), at: usize) -> Result<Option<Grants>, StoreError> {
    let mut c = Cursor::new(r, at);
    let Some(user_sid) = c.opt_text()? else {
        return Ok(None);
    };
    let service_permissions = permissions(&mut c)?;
    let member_sid = c.opt_text()?;
    let channel_permissions = permissions(&mut c)?;
    Ok(Some(Grants {
        user_sid,
        service_permissions,
        member_sid,
        channel_permissions,
        invited: c.bool()?,
    }))
}

/// A nullable JSON array of permission names (a role that may be absent), empty when NULL.
fn permissions<R: Cells + ?Sized>(c: &mut Cursor<'_, R>) -> Result<Vec<String>, StoreError> {
    let at = c.at;
    match c.opt_text()? {
        Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::unreadable(at, e)),
        None => Ok(Vec::new()),
    }
}

/// What an [`AddressConfig`] is read from.
pub const ADDRESS_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "type",
    "address",
    "friendly_name",
    "auto_creation",
    "address_country",
    "date_created",
    "date_updated",
];

/// Decodes an [`AddressConfig`] (columns [`ADDRESS_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn address(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<AddressConfig>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: AddressConfig {
            sid: c.text()?,
            account_sid: c.text()?,
            address_type: c.text()?,
            address: c.text()?,
            friendly_name: c.opt_text()?,
            auto_creation: c.json()?,
            address_country: c.opt_text()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
        },
    })
}

/// What a [`ConversationsAccount`] is read from.
pub const CONVERSATIONS_ACCOUNT_COLUMNS: &[&str] = &["account_sid", "default_service_sid", "settings"];

/// Decodes a [`ConversationsAccount`] (columns [`CONVERSATIONS_ACCOUNT_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn conversations_account(r: &(impl Cells + ?Sized), at: usize) -> Result<ConversationsAccount, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(ConversationsAccount {
        account_sid: c.text()?,
        default_service_sid: c.text()?,
        settings: c.json()?,
    })
}
