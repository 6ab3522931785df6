"""Invites: create/fetch/list/delete, duplicates, and consumption on join."""

from datetime import datetime

from conftest import SID_RE, assert_rest_error, last_json, list_error, unique

INVITE_KEYS = {"account_sid", "channel_sid", "created_by", "date_created", "date_updated",
               "identity", "role_sid", "service_sid", "sid", "url"}


def _invites(svc, channel):
    return svc.channels(channel.sid).invites


def _user(svc, prefix="inv"):
    return svc.users.create(identity=unique(prefix)).identity


def test_create_invite_fields(client, banter, service, svc, channel, base_url):
    identity = _user(svc)
    inv = _invites(svc, channel).create(identity=identity)
    assert set(last_json(client)) == INVITE_KEYS
    assert SID_RE["IN"].match(inv.sid), inv.sid
    assert inv.account_sid == banter.account_sid
    assert inv.service_sid == service.sid
    assert inv.channel_sid == channel.sid
    assert inv.identity == identity
    assert inv.role_sid == service.default_channel_role_sid
    assert inv.created_by == "system"
    assert isinstance(inv.date_created, datetime), repr(inv.date_created)
    assert inv.url == "%s/v2/Services/%s/Channels/%s/Invites/%s" % (
        base_url, service.sid, channel.sid, inv.sid)


def test_create_invite_with_role(svc, channel, service, roles_by_name):
    admin = roles_by_name(service.sid)["channel admin"]
    inv = _invites(svc, channel).create(identity=_user(svc), role_sid=admin.sid)
    assert inv.role_sid == admin.sid
    assert _invites(svc, channel)(inv.sid).fetch().role_sid == admin.sid


def test_invite_unknown_identity_404(svc, channel):
    identity = unique("ghost")
    assert_rest_error(lambda: _invites(svc, channel).create(identity=identity), 404, 20404)
    assert _invites(svc, channel).list() == []
    # inviting must not create the user implicitly
    assert_rest_error(svc.users(identity).fetch, 404, 20404)


def test_duplicate_invite_409_50212(svc, channel):
    identity = _user(svc)
    first = _invites(svc, channel).create(identity=identity)
    assert_rest_error(lambda: _invites(svc, channel).create(identity=identity), 409, 50212)
    assert [i.sid for i in _invites(svc, channel).list()] == [first.sid]


def test_invite_current_member_409(svc, channel):
    identity = _user(svc)
    svc.channels(channel.sid).members.create(identity=identity)
    assert_rest_error(lambda: _invites(svc, channel).create(identity=identity), 409)
    assert _invites(svc, channel).list() == []


def test_same_identity_invited_to_two_channels(svc, channel):
    identity = _user(svc)
    other = svc.channels.create()
    a = _invites(svc, channel).create(identity=identity)
    b = _invites(svc, other).create(identity=identity)
    assert a.sid != b.sid
    assert b.channel_sid == other.sid


def test_fetch_invite(svc, channel):
    identity = _user(svc)
    inv = _invites(svc, channel).create(identity=identity)
    got = _invites(svc, channel)(inv.sid).fetch()
    assert got.sid == inv.sid
    assert got.identity == identity
    assert got.channel_sid == channel.sid
    assert got.date_created == inv.date_created
    # channel addressed by unique name
    assert svc.channels(channel.unique_name).invites(inv.sid).fetch().sid == inv.sid


def test_fetch_unknown_invite_404(svc, channel):
    assert_rest_error(_invites(svc, channel)("IN" + "0" * 32).fetch, 404, 20404)
    other = svc.channels.create()
    inv = _invites(svc, channel).create(identity=_user(svc))
    assert_rest_error(_invites(svc, other)(inv.sid).fetch, 404, 20404)


def test_list_invites_identity_filter(svc, channel):
    ids = [_user(svc, "l%d" % i) for i in range(3)]
    sids = {i: _invites(svc, channel).create(identity=i).sid for i in ids}
    assert sorted(i.sid for i in _invites(svc, channel).list()) == sorted(sids.values())
    assert [i.sid for i in _invites(svc, channel).list(identity=[ids[0]])] == [sids[ids[0]]]
    two = _invites(svc, channel).list(identity=[ids[1], ids[2]])
    assert sorted(i.identity for i in two) == sorted(ids[1:])
    assert _invites(svc, channel).list(identity=["nobody"]) == []
    assert len(_invites(svc, channel).list(page_size=2)) == 3


def test_delete_invite(svc, channel):
    identity = _user(svc)
    inv = _invites(svc, channel).create(identity=identity)
    assert _invites(svc, channel)(inv.sid).delete() is True
    assert_rest_error(_invites(svc, channel)(inv.sid).fetch, 404, 20404)
    assert _invites(svc, channel).list() == []
    assert_rest_error(_invites(svc, channel)(inv.sid).delete, 404, 20404)
    # can be invited again afterwards
    again = _invites(svc, channel).create(identity=identity)
    assert again.sid != inv.sid


def test_join_consumes_invite(svc, channel):
    identity = _user(svc)
    keep = _user(svc, "keep")
    _invites(svc, channel).create(identity=identity)
    kept = _invites(svc, channel).create(identity=keep)
    svc.channels(channel.sid).members.create(identity=identity)
    assert _invites(svc, channel).list(identity=[identity]) == []
    assert [i.sid for i in _invites(svc, channel).list()] == [kept.sid]
    assert svc.channels(channel.sid).fetch().members_count == 1


def test_other_account_cannot_see_invite(other_client, svc, service, channel):
    inv = _invites(svc, channel).create(identity=_user(svc))
    other = other_client.chat.v2.services(service.sid).channels(channel.sid)
    assert_rest_error(other.invites(inv.sid).fetch, 404, 20404)
    assert_rest_error(other.invites(inv.sid).delete, 404, 20404)
    status, _ = list_error(other.invites.list)
    assert status == 404
    assert _invites(svc, channel)(inv.sid).fetch().sid == inv.sid
