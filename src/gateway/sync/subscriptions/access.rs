//! Subscriptions the socket's user may no longer read: a change that can take away a user's
//! right to read a channel's objects — their own membership or invite removed, or the channel
//! updated (Chat v3 can make a public channel private) — makes the socket check its
//! subscriptions to that channel again, with the same rule as a read; the ones refused stop at
//! once (the SDK drops the channel itself when it sees the removal).

use super::Subscriptions;
use crate::chat::Observed;
use crate::gateway::sync::names::ObjectKind;
use crate::gateway::sync::views;
use crate::store::ChangeKind;

impl Subscriptions {
    /// The channel whose subscriptions `o` may have made unreadable for this socket, if the
    /// socket follows it.
    pub(super) fn may_revoke(&self, o: &Observed) -> Option<String> {
        let c = &o.change;
        let channel = c.channel_sid.as_ref().filter(|ch| self.owners.contains(*ch))?;
        let mine = c.detail.as_deref() == Some(self.ctx.token.identity.as_str());
        let revoking = match c.kind {
            ChangeKind::MemberRemoved | ChangeKind::InviteRemoved => mine,
            ChangeKind::ChannelUpdated => true,
            _ => false,
        };
        revoking.then(|| channel.clone())
    }

    /// Checks this socket's subscriptions to `channel`'s objects again and drops the ones its
    /// user may no longer read.
    pub(super) async fn recheck(&mut self, channel: &str) {
        let objects: Vec<_> = self
            .subs
            .values()
            .map(|s| s.object.clone())
            .filter(|o| o.owner == channel && o.kind != ObjectKind::UserChannels && o.kind != ObjectKind::UserInfo)
            .collect();
        let mut dropped = false;
        for object in objects {
            if views::authorize(&self.ctx, &object).await.is_err() {
                self.subs.remove(&object.sid());
                dropped = true;
            }
        }
        if dropped {
            self.owners = self.subs.values().map(|s| s.object.owner.clone()).collect();
        }
    }
}
