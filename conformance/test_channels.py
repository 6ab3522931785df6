"""Channels: create/fetch/update/delete (by SID and unique_name), list filters, paging."""

from datetime import datetime, timezone

from conftest import SID_RE, assert_rest_error, last_json, list_error, unique

CHANNEL_KEYS = {"sid", "account_sid", "service_sid", "friendly_name", "unique_name",
                "attributes", "type", "date_created", "date_updated", "created_by",
                "members_count", "messages_count", "url", "links"}


def _url(base_url, service_sid, channel_sid):
    return "%s/v2/Services/%s/Channels/%s" % (base_url, service_sid, channel_sid)


def test_create_channel_defaults(client, banter, service, svc, base_url):
    ch = svc.channels.create()
    assert set(last_json(client)) == CHANNEL_KEYS  # every key present, nulls included
    assert SID_RE["CH"].match(ch.sid), ch.sid
    assert ch.account_sid == banter.account_sid
    assert ch.service_sid == service.sid
    assert ch.friendly_name is None
    assert ch.unique_name is None
    assert ch.attributes == "{}"
    assert ch.type == "public"
    assert ch.created_by == "system"
    assert ch.members_count == 0
    assert ch.messages_count == 0
    assert isinstance(ch.date_created, datetime), repr(ch.date_created)
    url = _url(base_url, service.sid, ch.sid)
    assert ch.url == url
    assert ch.links == {
        "members": url + "/Members",
        "messages": url + "/Messages",
        "invites": url + "/Invites",
        "webhooks": url + "/Webhooks",
        "last_message": None,
    }


def test_create_channel_with_all_fields(svc):
    created = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    updated = datetime(2021, 6, 7, 8, 9, 10, tzinfo=timezone.utc)
    attrs = '{ "topic": "ünïcode",  "n": [1, 2] }'
    name = unique("uniq")
    ch = svc.channels.create(friendly_name="General Chat", unique_name=name,
                             attributes=attrs, type="private", date_created=created,
                             date_updated=updated, created_by="alice")
    for c in (ch, svc.channels(ch.sid).fetch()):
        assert c.friendly_name == "General Chat"
        assert c.unique_name == name
        assert c.attributes == attrs  # echoed byte-for-byte
        assert c.type == "private"
        assert c.created_by == "alice"
        assert c.date_created == created
        assert c.date_updated == updated


def test_fetch_by_sid_and_unique_name(svc):
    ch = svc.channels.create(friendly_name="F", unique_name=unique("u"))
    for key in (ch.sid, ch.unique_name):
        got = svc.channels(key).fetch()
        assert got.sid == ch.sid
        assert got.unique_name == ch.unique_name
        assert got.friendly_name == "F"
        assert got.date_created == ch.date_created


def test_fetch_unknown_channel_404(svc):
    assert_rest_error(svc.channels("CH" + "0" * 32).fetch, 404, 20404)
    assert_rest_error(svc.channels("no-such-unique-name").fetch, 404, 20404)


def test_channel_in_other_service_not_visible(client, svc, service_factory):
    ch = svc.channels.create(unique_name=unique("u"))
    other = client.chat.v2.services(service_factory().sid)
    assert_rest_error(other.channels(ch.sid).fetch, 404, 20404)
    assert_rest_error(other.channels(ch.unique_name).fetch, 404, 20404)
    assert other.channels.list(type=["public", "private"]) == []


def test_duplicate_unique_name_409_50307(svc):
    name = unique("dup")
    first = svc.channels.create(unique_name=name)
    assert_rest_error(lambda: svc.channels.create(unique_name=name), 409, 50307)
    assert [c.sid for c in svc.channels.list()] == [first.sid]


def test_update_to_taken_unique_name_409_50307(svc):
    a = svc.channels.create(unique_name=unique("a"))
    b = svc.channels.create(unique_name=unique("b"))
    assert_rest_error(lambda: svc.channels(b.sid).update(unique_name=a.unique_name), 409, 50307)
    assert svc.channels(b.sid).fetch().unique_name == b.unique_name


def test_same_unique_name_in_two_services(client, svc, service_factory):
    name = unique("shared")
    a = svc.channels.create(unique_name=name)
    other = client.chat.v2.services(service_factory().sid)
    b = other.channels.create(unique_name=name)
    assert a.sid != b.sid
    assert other.channels(name).fetch().sid == b.sid
    assert svc.channels(name).fetch().sid == a.sid


def test_update_fields(svc):
    ch = svc.channels.create(friendly_name="old", unique_name=unique("old"), attributes='{"a":1}')
    new_name = unique("new")
    updated = svc.channels(ch.sid).update(friendly_name="new name", unique_name=new_name,
                                          attributes='{"a":2}')
    for c in (updated, svc.channels(new_name).fetch()):
        assert c.sid == ch.sid
        assert c.friendly_name == "new name"
        assert c.unique_name == new_name
        assert c.attributes == '{"a":2}'
        assert c.type == "public"
        assert c.date_created == ch.date_created
    assert_rest_error(svc.channels(ch.unique_name).fetch, 404, 20404)


def test_update_by_unique_name_is_partial(svc):
    ch = svc.channels.create(friendly_name="keep", unique_name=unique("p"),
                             attributes='{"k":true}', type="private")
    updated = svc.channels(ch.unique_name).update(friendly_name="changed")
    for c in (updated, svc.channels(ch.sid).fetch()):
        assert c.friendly_name == "changed"
        assert c.unique_name == ch.unique_name
        assert c.attributes == '{"k":true}'
        assert c.type == "private"
        assert c.created_by == "system"


def test_update_import_params(svc):
    ch = svc.channels.create()
    created = datetime(2018, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
    updated = svc.channels(ch.sid).update(date_created=created, created_by="importer")
    assert updated.date_created == created
    assert updated.created_by == "importer"
    assert svc.channels(ch.sid).fetch().created_by == "importer"


def test_create_invalid_json_attributes_50304(svc):
    name = unique("bad")
    assert_rest_error(lambda: svc.channels.create(unique_name=name, attributes="{nope"),
                      400, 50304)
    assert_rest_error(svc.channels(name).fetch, 404, 20404)
    assert svc.channels.list(type=["public", "private"]) == []


def test_update_invalid_json_attributes_50304(svc):
    ch = svc.channels.create(attributes='{"ok":1}')
    assert_rest_error(lambda: svc.channels(ch.sid).update(attributes="[1,"), 400, 50304)
    assert svc.channels(ch.sid).fetch().attributes == '{"ok":1}'


def test_list_default_is_public_only(svc):
    pub = svc.channels.create(friendly_name="pub", type="public")
    priv = svc.channels.create(friendly_name="priv", type="private")
    listed = svc.channels.list()
    assert [c.sid for c in listed] == [pub.sid]
    assert priv.sid not in {c.sid for c in svc.channels.stream()}


def test_list_type_filters(svc):
    pubs = {svc.channels.create(type="public").sid for _ in range(2)}
    privs = {svc.channels.create(type="private").sid for _ in range(2)}
    assert {c.sid for c in svc.channels.list(type=["private"])} == privs
    assert {c.sid for c in svc.channels.list(type=["public"])} == pubs
    both = svc.channels.list(type=["public", "private"])
    assert sorted(c.sid for c in both) == sorted(pubs | privs)
    for c in svc.channels.list(type=["private"]):
        assert c.type == "private"


def test_list_paging(svc, service, base_url):
    mine = [svc.channels.create(friendly_name="c%d" % i).sid for i in range(5)]
    listed = [c.sid for c in svc.channels.list(page_size=2)]
    assert sorted(listed) == sorted(mine)
    assert len(listed) == len(set(listed)) == 5
    streamed = [c.sid for c in svc.channels.stream(page_size=2)]
    assert sorted(streamed) == sorted(mine)
    assert len(svc.channels.list(limit=3)) == 3
    page = svc.channels.page(page_size=2)
    meta = page._payload["meta"]
    assert meta["key"] == "channels"
    assert meta["page_size"] == 2
    assert meta["next_page_url"].startswith(
        "%s/v2/Services/%s/Channels?" % (base_url, service.sid))
    first = [c.sid for c in page]  # a Page is a one-shot iterator
    assert len(first) == 2
    p2 = page.next_page()
    second = [c.sid for c in p2]
    assert len(second) == 2
    p3 = p2.next_page()
    third = [c.sid for c in p3]
    assert len(third) == 1
    assert p3.next_page() is None
    assert sorted(first + second + third) == sorted(mine)


def test_list_paging_keeps_type_filter(svc):
    privs = {svc.channels.create(type="private").sid for _ in range(3)}
    for _ in range(3):
        svc.channels.create(type="public")
    listed = svc.channels.list(type=["private"], page_size=2)
    assert {c.sid for c in listed} == privs
    assert len(listed) == 3


def test_last_message_link(svc, base_url, service):
    ch = svc.channels.create()
    url = _url(base_url, service.sid, ch.sid)
    assert svc.channels(ch.sid).fetch().links["last_message"] is None
    m1 = svc.channels(ch.sid).messages.create(body="one")
    assert svc.channels(ch.sid).fetch().links["last_message"] == url + "/Messages/" + m1.sid
    m2 = svc.channels(ch.sid).messages.create(body="two")
    fetched = svc.channels(ch.sid).fetch()
    assert fetched.links["last_message"] == url + "/Messages/" + m2.sid
    assert fetched.messages_count == 2
    # the link follows the highest remaining index
    svc.channels(ch.sid).messages(m2.sid).delete()
    assert svc.channels(ch.sid).fetch().links["last_message"] == url + "/Messages/" + m1.sid
    svc.channels(ch.sid).messages(m1.sid).delete()
    assert svc.channels(ch.sid).fetch().links["last_message"] is None


def test_delete_by_sid(svc):
    ch = svc.channels.create(unique_name=unique("d"))
    assert svc.channels(ch.sid).delete() is True
    assert_rest_error(svc.channels(ch.sid).fetch, 404, 20404)
    assert_rest_error(svc.channels(ch.unique_name).fetch, 404, 20404)
    assert svc.channels.list() == []
    assert_rest_error(svc.channels(ch.sid).delete, 404, 20404)


def test_delete_by_unique_name_frees_name(svc):
    name = unique("d")
    ch = svc.channels.create(unique_name=name)
    assert svc.channels(name).delete() is True
    assert_rest_error(svc.channels(ch.sid).fetch, 404, 20404)
    again = svc.channels.create(unique_name=name)
    assert again.sid != ch.sid


def test_delete_channel_decrements_joined_channels_count(svc):
    a = svc.channels.create()
    b = svc.channels.create()
    alice, bob = unique("alice"), unique("bob")
    for ch in (a, b):
        svc.channels(ch.sid).members.create(identity=alice)
    svc.channels(a.sid).members.create(identity=bob)
    assert svc.users(alice).fetch().joined_channels_count == 2
    assert svc.users(bob).fetch().joined_channels_count == 1
    svc.channels(a.sid).delete()
    assert svc.users(alice).fetch().joined_channels_count == 1
    assert svc.users(bob).fetch().joined_channels_count == 0
    assert [c.channel_sid for c in svc.users(alice).user_channels.list()] == [b.sid]
    assert svc.users(bob).user_channels.list() == []


def test_delete_channel_removes_children(svc):
    ch = svc.channels.create()
    member = svc.channels(ch.sid).members.create(identity=unique("m"))
    msg = svc.channels(ch.sid).messages.create(body="hi")
    svc.channels(ch.sid).delete()
    assert_rest_error(svc.channels(ch.sid).members(member.sid).fetch, 404, 20404)
    assert_rest_error(svc.channels(ch.sid).messages(msg.sid).fetch, 404, 20404)
    status, body = list_error(svc.channels(ch.sid).messages.list)
    assert status == 404
    assert body is not None and body["code"] == 20404


def test_other_account_cannot_see_channel(client, other_client, svc, service):
    ch = svc.channels.create(unique_name=unique("iso"))
    other = other_client.chat.v2.services(service.sid)
    assert_rest_error(other.channels(ch.sid).fetch, 404, 20404)
    assert_rest_error(other.channels(ch.unique_name).fetch, 404, 20404)
    assert_rest_error(lambda: other.channels(ch.sid).update(friendly_name="x"), 404, 20404)
    assert_rest_error(other.channels(ch.sid).delete, 404, 20404)
    assert_rest_error(lambda: other.channels.create(friendly_name="x"), 404, 20404)
    status, _ = list_error(other.channels.list)
    assert status == 404
    assert svc.channels(ch.sid).fetch().friendly_name is None
