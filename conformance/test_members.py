"""Members: create (implicit users), fetch/update/delete by SID and identity, list filters,
counters and service limits."""

from datetime import datetime, timezone

from conftest import SID_RE, assert_rest_error, last_json, list_error, unique

MEMBER_KEYS = {"sid", "account_sid", "channel_sid", "service_sid", "identity", "role_sid",
               "last_consumed_message_index", "last_consumption_timestamp",
               "date_created", "date_updated", "attributes", "url"}


def test_create_member_defaults(client, banter, service, svc, channel, base_url):
    identity = unique("alice")
    svc.users.create(identity=identity)
    m = svc.channels(channel.sid).members.create(identity=identity)
    assert set(last_json(client)) == MEMBER_KEYS  # every key present, no links
    assert SID_RE["MB"].match(m.sid), m.sid
    assert m.account_sid == banter.account_sid
    assert m.service_sid == service.sid
    assert m.channel_sid == channel.sid
    assert m.identity == identity
    assert m.role_sid == service.default_channel_role_sid
    assert m.attributes == "{}"
    assert m.last_consumed_message_index is None
    assert m.last_consumption_timestamp is None
    assert isinstance(m.date_created, datetime), repr(m.date_created)
    assert m.url == "%s/v2/Services/%s/Channels/%s/Members/%s" % (
        base_url, service.sid, channel.sid, m.sid)


def test_unknown_identity_creates_user_implicitly(service, svc, channel):
    identity = unique("newbie")
    assert_rest_error(svc.users(identity).fetch, 404, 20404)
    svc.channels(channel.sid).members.create(identity=identity)
    user = svc.users(identity).fetch()
    assert SID_RE["US"].match(user.sid)
    assert user.identity == identity
    assert user.role_sid == service.default_service_role_sid
    assert user.joined_channels_count == 1
    assert identity in {u.identity for u in svc.users.list()}


def test_create_member_with_fields(svc, channel, roles_by_name, service):
    admin = roles_by_name(service.sid)["channel admin"]
    ts = datetime(2022, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    m = svc.channels(channel.sid).members.create(
        identity=unique("bob"), role_sid=admin.sid, attributes='{"x": [1]}',
        last_consumed_message_index=3, last_consumption_timestamp=ts, date_created=ts)
    for got in (m, svc.channels(channel.sid).members(m.sid).fetch()):
        assert got.role_sid == admin.sid
        assert got.attributes == '{"x": [1]}'
        assert got.last_consumed_message_index == 3
        assert got.last_consumption_timestamp == ts
        assert got.date_created == ts


def test_create_member_on_channel_by_unique_name(svc, channel):
    m = svc.channels(channel.unique_name).members.create(identity=unique("u"))
    assert m.channel_sid == channel.sid
    assert svc.channels(channel.sid).members(m.sid).fetch().sid == m.sid


def test_create_member_deployment_role_rejected(svc, channel, service):
    identity = unique("r")
    assert_rest_error(lambda: svc.channels(channel.sid).members.create(
        identity=identity, role_sid=service.default_service_role_sid), 400)
    assert svc.channels(channel.sid).members.list() == []


def test_create_member_invalid_attributes_50304(svc, channel):
    assert_rest_error(lambda: svc.channels(channel.sid).members.create(
        identity=unique("a"), attributes="{bad"), 400, 50304)
    assert svc.channels(channel.sid).members.list() == []
    assert svc.channels(channel.sid).fetch().members_count == 0


def test_duplicate_member_409_50404(svc, channel):
    identity = unique("dup")
    members = svc.channels(channel.sid).members
    first = members.create(identity=identity)
    assert_rest_error(lambda: members.create(identity=identity), 409, 50404)
    assert [m.sid for m in members.list()] == [first.sid]
    assert svc.channels(channel.sid).fetch().members_count == 1
    assert svc.users(identity).fetch().joined_channels_count == 1


def test_fetch_by_sid_and_identity(svc, channel):
    identity = unique("carol")
    m = svc.channels(channel.sid).members.create(identity=identity)
    for key in (m.sid, identity):
        got = svc.channels(channel.sid).members(key).fetch()
        assert got.sid == m.sid
        assert got.identity == identity
        assert got.date_created == m.date_created


def test_fetch_unknown_member_404(svc, channel):
    assert_rest_error(svc.channels(channel.sid).members("MB" + "0" * 32).fetch, 404, 20404)
    assert_rest_error(svc.channels(channel.sid).members("nobody").fetch, 404, 20404)


def test_member_of_other_channel_not_visible(svc, channel):
    other = svc.channels.create()
    m = svc.channels(channel.sid).members.create(identity=unique("x"))
    assert_rest_error(svc.channels(other.sid).members(m.sid).fetch, 404, 20404)
    assert_rest_error(svc.channels(other.sid).members(m.identity).fetch, 404, 20404)


def test_update_member_by_identity(svc, channel, roles_by_name, service):
    identity = unique("dave")
    m = svc.channels(channel.sid).members.create(identity=identity, attributes='{"a":1}')
    admin = roles_by_name(service.sid)["channel admin"]
    updated = svc.channels(channel.sid).members(identity).update(role_sid=admin.sid)
    for got in (updated, svc.channels(channel.sid).members(m.sid).fetch()):
        assert got.sid == m.sid
        assert got.role_sid == admin.sid
        assert got.attributes == '{"a":1}'  # partial update
    updated = svc.channels(channel.sid).members(m.sid).update(attributes='{"a":2}')
    assert updated.attributes == '{"a":2}'
    assert updated.role_sid == admin.sid


def test_update_invalid_attributes_50304(svc, channel):
    m = svc.channels(channel.sid).members.create(identity=unique("e"), attributes='{"ok":1}')
    assert_rest_error(lambda: svc.channels(channel.sid).members(m.sid).update(attributes="nope"),
                      400, 50304)
    assert svc.channels(channel.sid).members(m.sid).fetch().attributes == '{"ok":1}'


def test_update_last_consumed_message_index(svc, channel):
    m = svc.channels(channel.sid).members.create(identity=unique("f"))
    for i in range(3):
        svc.channels(channel.sid).messages.create(body="m%d" % i)
    updated = svc.channels(channel.sid).members(m.sid).update(last_consumed_message_index=1)
    for got in (updated, svc.channels(channel.sid).members(m.identity).fetch()):
        assert got.last_consumed_message_index == 1
        assert isinstance(got.last_consumption_timestamp, datetime), \
            repr(got.last_consumption_timestamp)
    updated = svc.channels(channel.sid).members(m.sid).update(last_consumed_message_index=2)
    assert updated.last_consumed_message_index == 2


def test_delete_member_by_sid_and_identity(svc, channel):
    members = svc.channels(channel.sid).members
    a = members.create(identity=unique("a"))
    b = members.create(identity=unique("b"))
    assert members(a.sid).delete() is True
    assert members(b.identity).delete() is True
    assert_rest_error(members(a.sid).fetch, 404, 20404)
    assert_rest_error(members(b.identity).fetch, 404, 20404)
    assert members.list() == []
    assert_rest_error(members(a.sid).delete, 404, 20404)
    # the users themselves survive
    assert svc.users(a.identity).fetch().joined_channels_count == 0


def test_list_members_identity_filter(svc, channel):
    members = svc.channels(channel.sid).members
    ids = [unique("l%d" % i) for i in range(3)]
    sids = {i: members.create(identity=i).sid for i in ids}
    assert sorted(m.sid for m in members.list()) == sorted(sids.values())
    only = members.list(identity=[ids[0]])
    assert [m.sid for m in only] == [sids[ids[0]]]
    two = members.list(identity=[ids[1], ids[2]])
    assert sorted(m.identity for m in two) == sorted(ids[1:])
    assert members.list(identity=["nobody"]) == []


def test_list_members_paging(svc, channel, base_url, service):
    members = svc.channels(channel.sid).members
    sids = {members.create(identity=unique("p%d" % i)).sid for i in range(5)}
    listed = [m.sid for m in members.list(page_size=2)]
    assert len(listed) == 5 and set(listed) == sids
    page = members.page(page_size=2)
    meta = page._payload["meta"]
    assert meta["key"] == "members"
    assert meta["next_page_url"].startswith("%s/v2/Services/%s/Channels/%s/Members?" % (
        base_url, service.sid, channel.sid))


def test_counters_track_adds_and_removes(svc):
    a = svc.channels.create()
    b = svc.channels.create()
    alice, bob = unique("alice"), unique("bob")
    svc.users.create(identity=alice)
    assert svc.users(alice).fetch().joined_channels_count == 0
    svc.channels(a.sid).members.create(identity=alice)
    svc.channels(b.sid).members.create(identity=alice)
    svc.channels(a.sid).members.create(identity=bob)
    assert svc.channels(a.sid).fetch().members_count == 2
    assert svc.channels(b.sid).fetch().members_count == 1
    assert svc.users(alice).fetch().joined_channels_count == 2
    assert svc.users(bob).fetch().joined_channels_count == 1
    svc.channels(a.sid).members(alice).delete()
    assert svc.channels(a.sid).fetch().members_count == 1
    assert svc.users(alice).fetch().joined_channels_count == 1
    svc.channels(a.sid).members(bob).delete()
    assert svc.channels(a.sid).fetch().members_count == 0
    assert svc.users(bob).fetch().joined_channels_count == 0


def test_channel_members_limit_403_50403(client, service, svc, channel):
    client.chat.v2.services(service.sid).update(limits_channel_members=2)
    members = svc.channels(channel.sid).members
    members.create(identity=unique("m1"))
    members.create(identity=unique("m2"))
    third = unique("m3")
    assert_rest_error(lambda: members.create(identity=third), 403, 50403)
    assert svc.channels(channel.sid).fetch().members_count == 2
    assert len(members.list()) == 2
    assert_rest_error(members(third).fetch, 404, 20404)
    # other channels have their own budget
    other = svc.channels.create()
    svc.channels(other.sid).members.create(identity=third)
    assert svc.channels(other.sid).fetch().members_count == 1


def test_user_channels_limit_403_50208(client, service, svc):
    client.chat.v2.services(service.sid).update(limits_user_channels=1)
    a = svc.channels.create()
    b = svc.channels.create()
    identity = unique("lim")
    svc.channels(a.sid).members.create(identity=identity)
    assert_rest_error(lambda: svc.channels(b.sid).members.create(identity=identity), 403, 50208)
    assert svc.channels(b.sid).members.list() == []
    assert svc.channels(b.sid).fetch().members_count == 0
    assert svc.users(identity).fetch().joined_channels_count == 1
    # leaving frees the slot
    svc.channels(a.sid).members(identity).delete()
    svc.channels(b.sid).members.create(identity=identity)
    assert svc.users(identity).fetch().joined_channels_count == 1


def test_other_account_cannot_see_member(other_client, svc, service, channel):
    m = svc.channels(channel.sid).members.create(identity=unique("iso"))
    other = other_client.chat.v2.services(service.sid).channels(channel.sid)
    assert_rest_error(other.members(m.sid).fetch, 404, 20404)
    assert_rest_error(other.members(m.identity).fetch, 404, 20404)
    assert_rest_error(lambda: other.members.create(identity=unique("x")), 404, 20404)
    assert_rest_error(other.members(m.sid).delete, 404, 20404)
    status, _ = list_error(other.members.list)
    assert status == 404
    assert svc.channels(channel.sid).fetch().members_count == 1
