"""Users: create/fetch (by SID and identity)/update/list/delete and validation."""

from datetime import datetime

import pytest

from conftest import SID_RE, assert_rest_error, unique


def _users(client, service):
    return client.chat.v2.services(service.sid).users


def test_create_user_defaults(client, banter, service, base_url):
    identity = unique("alice")
    user = _users(client, service).create(identity=identity)
    assert SID_RE["US"].match(user.sid)
    assert user.account_sid == banter.account_sid
    assert user.service_sid == service.sid
    assert user.identity == identity
    assert user.role_sid == service.default_service_role_sid
    assert user.joined_channels_count == 0
    assert user.attributes is None
    assert user.friendly_name is None
    assert isinstance(user.date_created, datetime), repr(user.date_created)
    assert isinstance(user.date_updated, datetime), repr(user.date_updated)
    url = "%s/v2/Services/%s/Users/%s" % (base_url, service.sid, user.sid)
    assert user.url == url
    assert user.links == {"user_channels": url + "/Channels", "user_bindings": url + "/Bindings"}


def test_create_user_with_all_fields(client, service, roles_by_name):
    admin = roles_by_name(service.sid)["service admin"]
    attrs = '{ "foo": "bar",  "n": [1, 2] }'
    user = _users(client, service).create(identity=unique("bob"), role_sid=admin.sid,
                                          attributes=attrs, friendly_name="Bob Ünïcode")
    assert user.role_sid == admin.sid
    assert user.attributes == attrs  # echoed byte-for-byte
    assert user.friendly_name == "Bob Ünïcode"


def test_fetch_by_sid_and_by_identity(client, service):
    users = _users(client, service)
    user = users.create(identity=unique("carol"), friendly_name="Carol")
    for key in (user.sid, user.identity):
        got = users(key).fetch()
        assert got.sid == user.sid
        assert got.identity == user.identity
        assert got.friendly_name == "Carol"
        assert got.date_created == user.date_created
        assert got.is_online is None  # reachability disabled


@pytest.mark.parametrize("identity", [
    "bob+tag@example.com",
    "alice smith",
    "ünïcødé-ユーザー",
    "with:colon;semi,comma",
], ids=["plus_at", "space", "unicode", "punctuation"])
def test_special_identity_round_trip(client, service, identity):
    users = _users(client, service)
    user = users.create(identity=identity, friendly_name="orig")
    assert user.identity == identity
    got = users(identity).fetch()
    assert got.sid == user.sid
    assert got.identity == identity
    updated = users(identity).update(friendly_name="changed")
    assert updated.sid == user.sid
    assert updated.friendly_name == "changed"
    assert users(identity).delete() is True
    assert_rest_error(users(user.sid).fetch, 404, 20404)


def test_identity_is_case_sensitive(client, service):
    users = _users(client, service)
    base = unique("Case")
    upper = users.create(identity=base)
    lower = users.create(identity=base.lower())
    assert upper.sid != lower.sid
    assert users(base).fetch().sid == upper.sid
    assert users(base.lower()).fetch().sid == lower.sid


def test_same_identity_in_two_services(client, service, service_factory):
    other = service_factory()
    identity = unique("shared")
    a = _users(client, service).create(identity=identity)
    b = _users(client, other).create(identity=identity)
    assert a.sid != b.sid
    assert b.service_sid == other.sid


def test_update_friendly_name_attributes_role(client, service, roles_by_name):
    users = _users(client, service)
    user = users.create(identity=unique("erin"))
    admin = roles_by_name(service.sid)["service admin"]
    updated = users(user.sid).update(friendly_name="Erin", attributes='{"x":1}',
                                     role_sid=admin.sid)
    for u in (updated, users(user.sid).fetch()):
        assert u.friendly_name == "Erin"
        assert u.attributes == '{"x":1}'
        assert u.role_sid == admin.sid
        assert u.identity == user.identity
        assert u.date_created == user.date_created


def test_partial_update_leaves_other_fields(client, service):
    users = _users(client, service)
    user = users.create(identity=unique("frank"), friendly_name="Frank", attributes='{"a":1}')
    updated = users(user.identity).update(attributes='{"a":2}')
    for u in (updated, users(user.sid).fetch()):
        assert u.friendly_name == "Frank"
        assert u.attributes == '{"a":2}'
        assert u.role_sid == service.default_service_role_sid


def test_duplicate_identity_409_50201(client, service):
    users = _users(client, service)
    identity = unique("dup")
    users.create(identity=identity)
    assert_rest_error(lambda: users.create(identity=identity), 409, 50201)


def test_identity_matching_user_sid_pattern_50206(client, service):
    assert_rest_error(lambda: _users(client, service).create(identity="US" + "ab" * 16),
                      400, 50206)


def test_empty_or_too_long_identity_rejected(client, service):
    assert_rest_error(lambda: _users(client, service).create(identity=""), 400, 50204)
    assert_rest_error(lambda: _users(client, service).create(identity="x" * 1000), 400, 50207)


def test_create_invalid_json_attributes_50304(client, service):
    users = _users(client, service)
    identity = unique("bad")
    assert_rest_error(lambda: users.create(identity=identity, attributes="{not json"), 400, 50304)
    assert_rest_error(users(identity).fetch, 404, 20404)


def test_update_invalid_json_attributes_50304(client, service):
    users = _users(client, service)
    user = users.create(identity=unique("g"), attributes='{"ok":true}')
    assert_rest_error(lambda: users(user.sid).update(attributes="[1, 2"), 400, 50304)
    assert users(user.sid).fetch().attributes == '{"ok":true}'


def test_create_with_channel_role_rejected(client, service):
    users = _users(client, service)
    identity = unique("h")
    assert_rest_error(lambda: users.create(identity=identity,
                                           role_sid=service.default_channel_role_sid), 400)
    assert_rest_error(users(identity).fetch, 404, 20404)


def test_update_to_channel_role_rejected(client, service):
    users = _users(client, service)
    user = users.create(identity=unique("i"))
    assert_rest_error(lambda: users(user.sid).update(role_sid=service.default_channel_role_sid),
                      400)
    assert users(user.sid).fetch().role_sid == service.default_service_role_sid
    assert_rest_error(lambda: users(user.sid).update(role_sid="RL" + "0" * 32), 400, 50100)
    assert_rest_error(lambda: users.create(identity=unique("j"), role_sid="RL" + "0" * 32),
                      400, 50100)


def test_list_users_paging(client, service, base_url):
    users = _users(client, service)
    mine = {users.create(identity=unique("l%d" % i)).sid for i in range(5)}
    listed = users.list(page_size=2)
    sids = [u.sid for u in listed]
    assert sorted(sids) == sorted(mine)
    for u in listed:
        assert u.is_online is None
        assert u.is_notifiable is None
    page = users.page(page_size=2)
    meta = page._payload["meta"]
    assert meta["key"] == "users"
    assert meta["next_page_url"].startswith("%s/v2/Services/%s/Users?" % (base_url, service.sid))
    assert len(list(page.next_page())) == 2
    assert len(users.list(limit=3)) == 3


def test_delete_by_identity(client, service):
    users = _users(client, service)
    user = users.create(identity=unique("k"))
    assert users(user.identity).delete() is True
    assert_rest_error(users(user.identity).fetch, 404, 20404)
    assert_rest_error(users(user.sid).fetch, 404, 20404)
    assert users.list() == []


def test_delete_by_sid_then_identity_reusable(client, service):
    users = _users(client, service)
    user = users.create(identity=unique("m"))
    assert users(user.sid).delete() is True
    again = users.create(identity=user.identity)
    assert again.sid != user.sid


def test_fetch_unknown_user_404(client, service):
    users = _users(client, service)
    assert_rest_error(users("nobody-" + unique()).fetch, 404, 20404)
    assert_rest_error(users("US" + "0" * 32).fetch, 404, 20404)
    assert_rest_error(users("nobody-" + unique()).delete, 404, 20404)


def test_user_in_unknown_service_404(client):
    assert_rest_error(client.chat.v2.services("IS" + "0" * 32).users("x").fetch, 404, 20404)
    assert_rest_error(lambda: client.chat.v2.services("IS" + "0" * 32).users.create(identity="x"),
                      404, 20404)
