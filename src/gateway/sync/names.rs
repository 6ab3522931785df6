//! The names of chat's Sync objects: a unique name the SDK opens (`<CH>.channel`, fixed by
//! twilio-chat; the others are links Banter hands out) and a SID that events and subscriptions
//! use. Both are derived from the chat resource the object shows, so either resolves back to it
//! without a lookup table.
//!
//! | object | kind | unique name | SID |
//! |---|---|---|---|
//! | a channel's document | document | `CH….channel` | `ET` + the channel's hex |
//! | a channel's messages | list | `CH….messages` | `ES` + the channel's hex |
//! | a channel's roster | map | `CH….roster` | `MP` + the channel's hex |
//! | a user's channels | map | `US….channels` | `MC` + the user's hex |
//! | a user's info | map | `US….info` | `MI` + the user's hex |

use crate::sid;

/// Which chat resource a Sync object shows, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// A channel's names, attributes and last message (document).
    Channel,
    /// A channel's messages by index (list).
    Messages,
    /// A channel's members by member SID (map).
    Roster,
    /// A user's channels (joined or invited) by channel SID (map).
    UserChannels,
    /// A user's friendly name, attributes and reachability (map).
    UserInfo,
}

impl ObjectKind {
    const ALL: [Self; 5] = [
        Self::Channel,
        Self::Messages,
        Self::Roster,
        Self::UserChannels,
        Self::UserInfo,
    ];

    /// The Sync object type: `document`, `list` or `map`.
    #[must_use]
    pub fn object_type(self) -> &'static str {
        match self {
            Self::Channel => "document",
            Self::Messages => "list",
            Self::Roster | Self::UserChannels | Self::UserInfo => "map",
        }
    }

    /// The suffix of the unique name.
    fn suffix(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::Messages => "messages",
            Self::Roster => "roster",
            Self::UserChannels => "channels",
            Self::UserInfo => "info",
        }
    }

    /// The SID prefix.
    fn sid_prefix(self) -> &'static str {
        match self {
            Self::Channel => "ET",
            Self::Messages => "ES",
            Self::Roster => "MP",
            Self::UserChannels => "MC",
            Self::UserInfo => "MI",
        }
    }

    /// The prefix of the resource the object shows (`CH` or `US`).
    fn owner_prefix(self) -> &'static str {
        match self {
            Self::Channel | Self::Messages | Self::Roster => sid::CHANNEL,
            Self::UserChannels | Self::UserInfo => sid::USER,
        }
    }
}

/// One Sync object: its kind and the channel or user it shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyncObject {
    /// What it shows.
    pub kind: ObjectKind,
    /// The channel SID (`CH…`) or user SID (`US…`).
    pub owner: String,
}

impl SyncObject {
    /// The object `kind` of `owner` (a `CH…` or `US…` SID, as the kind requires).
    #[must_use]
    pub fn new(kind: ObjectKind, owner: impl Into<String>) -> Self {
        Self {
            kind,
            owner: owner.into(),
        }
    }

    /// The unique name the SDK opens it by (`CH….channel`, `US….info`, …).
    #[must_use]
    pub fn unique_name(&self) -> String {
        format!("{}.{}", self.owner, self.kind.suffix())
    }

    /// The object's SID (`ET`, `ES`, `MP`, `MC` or `MI` + the owner's 32 hex digits).
    #[must_use]
    pub fn sid(&self) -> String {
        let hex = self.owner.get(2..).unwrap_or_default();
        format!("{}{hex}", self.kind.sid_prefix())
    }

    /// Resolves a unique name or a SID; `None` for anything that names no chat object.
    #[must_use]
    pub fn parse(id: &str) -> Option<Self> {
        if let Some((owner, suffix)) = id.split_once('.') {
            let kind = ObjectKind::ALL.into_iter().find(|k| k.suffix() == suffix)?;
            return sid::is_sid(kind.owner_prefix(), owner).then(|| Self::new(kind, owner));
        }
        let kind = ObjectKind::ALL
            .into_iter()
            .find(|k| id.len() == 34 && id.starts_with(k.sid_prefix()))?;
        let owner = format!("{}{}", kind.owner_prefix(), &id[2..]);
        sid::is_sid(kind.owner_prefix(), &owner).then(|| Self::new(kind, owner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sids_resolve_back_to_their_object() {
        let ch = sid::generate(sid::CHANNEL);
        let us = sid::generate(sid::USER);
        for obj in [
            SyncObject::new(ObjectKind::Channel, &ch),
            SyncObject::new(ObjectKind::Messages, &ch),
            SyncObject::new(ObjectKind::Roster, &ch),
            SyncObject::new(ObjectKind::UserChannels, &us),
            SyncObject::new(ObjectKind::UserInfo, &us),
        ] {
            assert_eq!(SyncObject::parse(&obj.unique_name()), Some(obj.clone()));
            assert_eq!(SyncObject::parse(&obj.sid()), Some(obj.clone()));
            assert!(sid::is_sid(&obj.sid()[..2], &obj.sid()), "{}", obj.sid());
        }
        assert_eq!(
            SyncObject::new(ObjectKind::Channel, &ch).unique_name(),
            format!("{ch}.channel")
        );
        for bad in [
            "",
            "x.channel",
            "US1.channel",
            &format!("{us}.channel"),
            &format!("{ch}.nope"),
            "ETzz",
            "XX0123",
        ] {
            assert_eq!(SyncObject::parse(bad), None, "{bad}");
        }
    }
}
