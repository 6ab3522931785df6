//! Roles: named permission sets of type `channel` or `deployment`.

use super::{Chat, ChatError, ServiceRef, validate};
use crate::sid;
use crate::store::{Keyed, PageReq, Role, RoleDelete, RoleType};
use crate::time::{self, Timestamp};

/// Permission names valid for deployment (service-wide) roles.
pub const PERMISSIONS_DEPLOYMENT: &[&str] = &[
    "addMember",
    "createChannel",
    "deleteAnyMessage",
    "destroyChannel",
    "editAnyMemberAttributes",
    "editAnyMessage",
    "editAnyMessageAttributes",
    "editAnyUserInfo",
    "editChannelAttributes",
    "editChannelName",
    "editOwnMessage",
    "editOwnMessageAttributes",
    "editOwnUserInfo",
    "inviteMember",
    "joinChannel",
    "removeMember",
];

/// Permission names valid for channel roles.
pub const PERMISSIONS_CHANNEL: &[&str] = &[
    "addMember",
    "deleteAnyMessage",
    "deleteOwnMessage",
    "destroyChannel",
    "editAnyMemberAttributes",
    "editAnyMessage",
    "editAnyMessageAttributes",
    "editAnyUserInfo",
    "editChannelAttributes",
    "editChannelName",
    "editNotificationLevel",
    "editOwnMemberAttributes",
    "editOwnMessage",
    "editOwnMessageAttributes",
    "editOwnUserInfo",
    "inviteMember",
    "leaveChannel",
    "removeMember",
    "sendMediaMessage",
    "sendMessage",
];

/// Longest role name (characters).
pub const MAX_ROLE_NAME: usize = 64;

/// CreateRole input.
#[derive(Debug, Clone)]
pub struct NewRole {
    /// `FriendlyName`
    pub friendly_name: String,
    /// `Type`
    pub role_type: RoleType,
    /// `Permission` (repeated)
    pub permissions: Vec<String>,
}

/// The four roles every service starts with, as Twilio names them.
pub(super) fn default_roles(account_sid: &str, service_sid: &str, now: Timestamp) -> Vec<Role> {
    let role = |name: &str, role_type, perms: &[&str]| Role {
        sid: sid::generate(sid::ROLE),
        account_sid: account_sid.to_owned(),
        service_sid: service_sid.to_owned(),
        friendly_name: name.to_owned(),
        role_type,
        permissions: perms.iter().map(|p| (*p).to_owned()).collect(),
        date_created: now,
        date_updated: now,
    };
    vec![
        role(
            "service admin",
            RoleType::Deployment,
            &[
                "createChannel",
                "joinChannel",
                "destroyChannel",
                "editChannelAttributes",
                "editChannelName",
                "addMember",
                "inviteMember",
                "removeMember",
                "editAnyMemberAttributes",
                "editAnyMessage",
                "deleteAnyMessage",
                "editAnyMessageAttributes",
                "editAnyUserInfo",
            ],
        ),
        role(
            "service user",
            RoleType::Deployment,
            &["createChannel", "joinChannel", "editOwnUserInfo"],
        ),
        role(
            "channel admin",
            RoleType::Channel,
            &[
                "sendMessage",
                "sendMediaMessage",
                "leaveChannel",
                "editNotificationLevel",
                "destroyChannel",
                "inviteMember",
                "removeMember",
                "editChannelName",
                "editChannelAttributes",
                "addMember",
                "editAnyMemberAttributes",
                "editAnyMessage",
                "editAnyMessageAttributes",
                "deleteAnyMessage",
            ],
        ),
        role(
            "channel user",
            RoleType::Channel,
            &[
                "sendMessage",
                "sendMediaMessage",
                "leaveChannel",
                "editNotificationLevel",
                "editOwnMemberAttributes",
                "editOwnMessage",
                "editOwnMessageAttributes",
                "deleteOwnMessage",
            ],
        ),
    ]
}

/// Checks permission names against the vocabulary of `role_type`; keeps order, drops repeats.
fn permissions(role_type: RoleType, given: &[String]) -> Result<Vec<String>, ChatError> {
    if given.is_empty() {
        return Err(ChatError::missing("Permission"));
    }
    let valid = match role_type {
        RoleType::Channel => PERMISSIONS_CHANNEL,
        RoleType::Deployment => PERMISSIONS_DEPLOYMENT,
    };
    let mut out: Vec<String> = Vec::with_capacity(given.len());
    for p in given {
        if !valid.contains(&p.as_str()) {
            return Err(ChatError::invalid_code(
                50104,
                format!("Permission not found: {p} is not a {} permission", role_type.as_str()),
            ));
        }
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    Ok(out)
}

impl Chat {
    /// CreateRole.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service; 50104 for an unknown permission.
    pub async fn create_role(&self, at: ServiceRef<'_>, input: NewRole) -> Result<Role, ChatError> {
        let service = self.operator_service(at).await?;
        let friendly_name = validate::friendly_name(&input.friendly_name, MAX_ROLE_NAME)?;
        let permissions = permissions(input.role_type, &input.permissions)?;
        let now = time::now();
        let role = Role {
            sid: sid::generate(sid::ROLE),
            account_sid: service.account_sid.clone(),
            service_sid: service.sid.clone(),
            friendly_name,
            role_type: input.role_type,
            permissions,
            date_created: now,
            date_updated: now,
        };
        self.store.insert_role(&role).await?;
        Ok(role)
    }

    /// FetchRole.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service or role.
    pub async fn role(&self, at: ServiceRef<'_>, sid: &str) -> Result<Role, ChatError> {
        let service = self.operator_service(at).await?;
        if !sid::is_sid(sid::ROLE, sid) {
            return Err(ChatError::NotFound);
        }
        self.store.role(&service.sid, sid).await?.ok_or(ChatError::NotFound)
    }

    /// ListRole.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service.
    pub async fn list_roles(&self, at: ServiceRef<'_>, page: PageReq) -> Result<Vec<Keyed<Role>>, ChatError> {
        let service = self.operator_service(at).await?;
        Ok(self.store.list_roles(&service.sid, page).await?)
    }

    /// UpdateRole: replaces the permission set.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 50104 for an unknown permission.
    pub async fn update_role(
        &self,
        at: ServiceRef<'_>,
        sid: &str,
        new_permissions: &[String],
    ) -> Result<Role, ChatError> {
        let mut role = self.role(at, sid).await?;
        role.permissions = permissions(role.role_type, new_permissions)?;
        role.date_updated = time::now();
        if self.store.update_role(&role).await? {
            Ok(role)
        } else {
            Err(ChatError::NotFound)
        }
    }

    /// DeleteRole: refused while the role is a service default or still held by users.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 50107-style conflicts when the role is in use.
    pub async fn delete_role(&self, at: ServiceRef<'_>, sid: &str) -> Result<(), ChatError> {
        let service = self.operator_service(at).await?;
        if !sid::is_sid(sid::ROLE, sid) {
            return Err(ChatError::NotFound);
        }
        match self.store.delete_role(&service.sid, sid).await? {
            RoleDelete::Deleted => Ok(()),
            RoleDelete::NotFound => Err(ChatError::NotFound),
            RoleDelete::IsDefault => Err(ChatError::InUse {
                code: 20001,
                message: format!("Role {sid} is a default role of the service and cannot be deleted"),
            }),
            RoleDelete::InUse => Err(ChatError::InUse {
                code: 20001,
                message: format!("Role {sid} is assigned to users and cannot be deleted"),
            }),
        }
    }
}
