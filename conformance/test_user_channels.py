"""User channels: the per-user view of memberships and invitations."""

from conftest import assert_rest_error, last_json, list_error, unique

USER_CHANNEL_KEYS = {"account_sid", "service_sid", "channel_sid", "user_sid", "member_sid",
                     "status", "last_consumed_message_index", "unread_messages_count",
                     "notification_level", "url", "links"}


def _setup(svc, channel, n_messages=0):
    identity = unique("uc")
    member = svc.channels(channel.sid).members.create(identity=identity)
    for i in range(n_messages):
        svc.channels(channel.sid).messages.create(body="m%d" % i)
    return identity, member


def test_list_joined_channels(client, banter, service, svc, channel, base_url):
    identity, member = _setup(svc, channel)
    user = svc.users(identity).fetch()
    listed = svc.users(identity).user_channels.list()
    raw = last_json(client)
    assert raw["meta"]["key"] == "channels"
    assert set(raw["channels"][0]) == USER_CHANNEL_KEYS  # no sid field
    assert len(listed) == 1
    uc = listed[0]
    assert uc.account_sid == banter.account_sid
    assert uc.service_sid == service.sid
    assert uc.channel_sid == channel.sid
    assert uc.user_sid == user.sid
    assert uc.member_sid == member.sid
    assert uc.status == "joined"
    assert uc.notification_level == "default"
    assert uc.last_consumed_message_index is None
    assert uc.unread_messages_count is None
    svc_url = "%s/v2/Services/%s" % (base_url, service.sid)
    assert uc.url == "%s/Users/%s/Channels/%s" % (svc_url, user.sid, channel.sid)
    assert uc.links == {
        "channel": "%s/Channels/%s" % (svc_url, channel.sid),
        "member": "%s/Channels/%s/Members/%s" % (svc_url, channel.sid, member.sid),
    }


def test_list_by_user_sid_and_multiple_channels(svc):
    identity = unique("multi")
    user = svc.users.create(identity=identity)
    chans = [svc.channels.create() for _ in range(3)]
    for ch in chans:
        svc.channels(ch.sid).members.create(identity=identity)
    other = svc.channels.create()
    svc.channels(other.sid).members.create(identity=unique("someone-else"))
    by_sid = svc.users(user.sid).user_channels.list()
    assert sorted(u.channel_sid for u in by_sid) == sorted(c.sid for c in chans)
    paged = svc.users(identity).user_channels.list(page_size=2)
    assert sorted(u.channel_sid for u in paged) == sorted(c.sid for c in chans)
    assert all(u.status == "joined" for u in paged)


def test_user_without_channels_lists_empty(svc):
    identity = unique("lonely")
    svc.users.create(identity=identity)
    assert svc.users(identity).user_channels.list() == []


def test_unknown_user_list_404(svc):
    status, body = list_error(svc.users("nobody-here").user_channels.list)
    assert status == 404
    assert body is not None and body["code"] == 20404


def test_unread_messages_count(svc, channel):
    identity, member = _setup(svc, channel, n_messages=5)
    assert svc.users(identity).user_channels(channel.sid).fetch().unread_messages_count is None
    svc.channels(channel.sid).members(identity).update(last_consumed_message_index=1)
    uc = svc.users(identity).user_channels(channel.sid).fetch()
    assert uc.last_consumed_message_index == 1
    assert uc.unread_messages_count == 3
    listed = svc.users(identity).user_channels.list()
    assert listed[0].unread_messages_count == 3
    svc.channels(channel.sid).messages.create(body="new")
    assert svc.users(identity).user_channels(channel.sid).fetch().unread_messages_count == 4


def test_invited_channel_status(svc, channel):
    identity = unique("invitee")
    svc.users.create(identity=identity)
    svc.channels(channel.sid).invites.create(identity=identity)
    listed = svc.users(identity).user_channels.list()
    assert len(listed) == 1
    assert listed[0].channel_sid == channel.sid
    assert listed[0].status == "invited"
    assert listed[0].member_sid is None
    svc.channels(channel.sid).members.create(identity=identity)
    listed = svc.users(identity).user_channels.list()
    assert len(listed) == 1
    assert listed[0].status == "joined"
    assert listed[0].member_sid is not None


def test_fetch_by_channel_sid_and_unique_name(svc, channel):
    identity, member = _setup(svc, channel)
    user = svc.users(identity).fetch()
    for u in (identity, user.sid):
        for c in (channel.sid, channel.unique_name):
            uc = svc.users(u).user_channels(c).fetch()
            assert uc.channel_sid == channel.sid
            assert uc.user_sid == user.sid
            assert uc.member_sid == member.sid
            assert uc.status == "joined"


def test_fetch_not_member_404(svc, channel):
    identity = unique("outsider")
    svc.users.create(identity=identity)
    assert_rest_error(svc.users(identity).user_channels(channel.sid).fetch, 404, 20404)
    assert_rest_error(svc.users(identity).user_channels("CH" + "0" * 32).fetch, 404, 20404)


def test_update_notification_level(svc, channel):
    identity, _ = _setup(svc, channel)
    uc = svc.users(identity).user_channels(channel.sid).update(notification_level="muted")
    assert uc.notification_level == "muted"
    assert uc.channel_sid == channel.sid
    assert svc.users(identity).user_channels(channel.unique_name).fetch().notification_level \
        == "muted"
    back = svc.users(identity).user_channels(channel.sid).update(notification_level="default")
    assert back.notification_level == "default"


def test_update_invalid_notification_level_400(svc, channel):
    identity, _ = _setup(svc, channel)
    assert_rest_error(lambda: svc.users(identity).user_channels(channel.sid).update(
        notification_level="loud"), 400)
    assert svc.users(identity).user_channels(channel.sid).fetch().notification_level == "default"


def test_update_consumption_horizon(svc, channel):
    identity, member = _setup(svc, channel, n_messages=5)
    uc = svc.users(identity).user_channels(channel.sid).update(last_consumed_message_index=4)
    assert uc.last_consumed_message_index == 4
    assert uc.unread_messages_count == 0
    m = svc.channels(channel.sid).members(member.sid).fetch()
    assert m.last_consumed_message_index == 4
    assert m.last_consumption_timestamp is not None
    uc = svc.users(identity).user_channels(channel.sid).update(last_consumed_message_index=2)
    assert uc.unread_messages_count == 2


def test_delete_user_channel_removes_member(svc, channel):
    identity, member = _setup(svc, channel)
    assert svc.channels(channel.sid).fetch().members_count == 1
    assert svc.users(identity).user_channels(channel.sid).delete() is True
    assert svc.channels(channel.sid).members.list() == []
    assert svc.channels(channel.sid).fetch().members_count == 0
    assert_rest_error(svc.channels(channel.sid).members(member.sid).fetch, 404, 20404)
    assert svc.users(identity).user_channels.list() == []
    assert svc.users(identity).fetch().joined_channels_count == 0


def test_other_account_cannot_see_user_channels(other_client, svc, service, channel):
    identity, _ = _setup(svc, channel)
    other = other_client.chat.v2.services(service.sid).users(identity)
    assert_rest_error(other.user_channels(channel.sid).fetch, 404, 20404)
    status, _ = list_error(other.user_channels.list)
    assert status == 404
