"""Messages: create/fetch/update/delete, index sequencing, ordering + paging, body limits."""

from datetime import datetime, timezone

from conftest import SID_RE, assert_rest_error, last_json, list_error, rest_error, unique
from media import upload

MAX_BODY = 32 * 1024
MESSAGE_KEYS = {"sid", "account_sid", "service_sid", "to", "channel_sid", "date_created",
                "date_updated", "last_updated_by", "was_edited", "from", "attributes", "body",
                "index", "type", "media", "url"}


def _msgs(svc, channel):
    return svc.channels(channel.sid).messages


def test_create_message_fields(client, banter, service, svc, channel, base_url):
    m = _msgs(svc, channel).create(body="hello", from_="alice")
    assert set(last_json(client)) == MESSAGE_KEYS  # every key present, no links
    assert SID_RE["IM"].match(m.sid), m.sid
    assert m.account_sid == banter.account_sid
    assert m.service_sid == service.sid
    assert m.channel_sid == channel.sid
    assert m.to == channel.sid
    assert m._from == "alice"
    assert m.body == "hello"
    assert m.index == 0
    assert m.attributes == "{}"
    assert m.was_edited is False
    assert m.type == "text"
    assert m.media is None
    assert isinstance(m.date_created, datetime), repr(m.date_created)
    assert m.url == "%s/v2/Services/%s/Channels/%s/Messages/%s" % (
        base_url, service.sid, channel.sid, m.sid)


def test_default_from_is_system(svc, channel):
    m = _msgs(svc, channel).create(body="x")
    assert m._from == "system"
    assert _msgs(svc, channel)(m.sid).fetch()._from == "system"


def test_indexes_are_sequential(svc, channel):
    msgs = [_msgs(svc, channel).create(body="m%d" % i) for i in range(4)]
    assert [m.index for m in msgs] == [0, 1, 2, 3]
    assert len({m.sid for m in msgs}) == 4


def test_indexes_are_per_channel(svc, channel):
    other = svc.channels.create()
    _msgs(svc, channel).create(body="a")
    _msgs(svc, channel).create(body="b")
    assert _msgs(svc, other).create(body="c").index == 0


def test_messages_count_tracks(svc, channel):
    for i in range(3):
        _msgs(svc, channel).create(body=str(i))
        assert svc.channels(channel.sid).fetch().messages_count == i + 1


def test_create_with_attributes_and_import_dates(svc, channel):
    created = datetime(2019, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    m = _msgs(svc, channel).create(body="old", from_="bob", attributes='{"k": "v"}',
                                   date_created=created)
    for got in (m, _msgs(svc, channel)(m.sid).fetch()):
        assert got.date_created == created
        assert got.attributes == '{"k": "v"}'
        assert got._from == "bob"


def test_create_on_channel_by_unique_name(svc, channel):
    m = svc.channels(channel.unique_name).messages.create(body="via name")
    assert m.channel_sid == channel.sid
    assert svc.channels(channel.unique_name).messages(m.sid).fetch().body == "via name"


def test_empty_body_is_empty_string(svc, channel):
    m = _msgs(svc, channel).create(body="", from_="alice")
    assert m.body == ""
    assert _msgs(svc, channel)(m.sid).fetch().body == ""


def test_body_unicode_round_trip(svc, channel):
    body = "héllo wörld ✓ ユーザー\nline2 & a=b+c%20"
    m = _msgs(svc, channel).create(body=body)
    assert m.body == body
    assert _msgs(svc, channel)(m.sid).fetch().body == body


def test_fetch_message(svc, channel):
    m = _msgs(svc, channel).create(body="fetch me", from_="carol")
    got = _msgs(svc, channel)(m.sid).fetch()
    assert got.sid == m.sid
    assert got.body == "fetch me"
    assert got._from == "carol"
    assert got.index == m.index
    assert got.date_created == m.date_created
    assert got.was_edited is False


def test_fetch_unknown_message_404(svc, channel):
    assert_rest_error(_msgs(svc, channel)("IM" + "0" * 32).fetch, 404, 20404)


def test_message_of_other_channel_not_visible(svc, channel):
    other = svc.channels.create()
    m = _msgs(svc, channel).create(body="x")
    assert_rest_error(_msgs(svc, other)(m.sid).fetch, 404, 20404)


def test_update_body_sets_was_edited(svc, channel):
    m = _msgs(svc, channel).create(body="before", from_="alice", attributes='{"a":1}')
    updated = _msgs(svc, channel)(m.sid).update(body="after")
    for got in (updated, _msgs(svc, channel)(m.sid).fetch()):
        assert got.body == "after"
        assert got.was_edited is True
        assert got.index == m.index
        assert got._from == "alice"
        assert got.attributes == '{"a":1}'


def test_update_attributes_and_last_updated_by(svc, channel):
    m = _msgs(svc, channel).create(body="b")
    updated = _msgs(svc, channel)(m.sid).update(attributes='{"edited":true}',
                                                last_updated_by="bob")
    assert updated.attributes == '{"edited":true}'
    assert updated.last_updated_by == "bob"
    assert updated.body == "b"
    assert _msgs(svc, channel)(m.sid).fetch().attributes == '{"edited":true}'


def test_invalid_attributes_50304(svc, channel):
    assert_rest_error(lambda: _msgs(svc, channel).create(body="x", attributes="{x"), 400, 50304)
    assert svc.channels(channel.sid).fetch().messages_count == 0
    m = _msgs(svc, channel).create(body="x", attributes='{"ok":1}')
    assert_rest_error(lambda: _msgs(svc, channel)(m.sid).update(attributes="]"), 400, 50304)
    assert _msgs(svc, channel)(m.sid).fetch().attributes == '{"ok":1}'


def test_delete_keeps_other_indexes(svc, channel):
    msgs = [_msgs(svc, channel).create(body="m%d" % i) for i in range(3)]
    assert _msgs(svc, channel)(msgs[1].sid).delete() is True
    assert_rest_error(_msgs(svc, channel)(msgs[1].sid).fetch, 404, 20404)
    remaining = _msgs(svc, channel).list()
    assert [(m.sid, m.index) for m in remaining] == [(msgs[0].sid, 0), (msgs[2].sid, 2)]
    assert _msgs(svc, channel)(msgs[2].sid).fetch().index == 2
    assert svc.channels(channel.sid).fetch().messages_count == 2
    assert_rest_error(_msgs(svc, channel)(msgs[1].sid).delete, 404, 20404)


def _make(svc, channel, n):
    return [_msgs(svc, channel).create(body="m%d" % i).index for i in range(n)]


def test_list_order_asc_default_and_desc(svc, channel):
    _make(svc, channel, 4)
    assert [m.index for m in _msgs(svc, channel).list()] == [0, 1, 2, 3]
    assert [m.index for m in _msgs(svc, channel).list(order="asc")] == [0, 1, 2, 3]
    assert [m.index for m in _msgs(svc, channel).list(order="desc")] == [3, 2, 1, 0]
    assert [m.body for m in _msgs(svc, channel).list(order="desc")] == ["m3", "m2", "m1", "m0"]


def test_paging_asc_full_walk(svc, channel):
    assert _make(svc, channel, 7) == list(range(7))
    assert [m.index for m in _msgs(svc, channel).list(order="asc", page_size=3)] == list(range(7))
    assert [m.index for m in _msgs(svc, channel).stream(order="asc", page_size=3)] == \
        list(range(7))
    assert [m.index for m in _msgs(svc, channel).list(page_size=3)] == list(range(7))


def test_paging_desc_full_walk(svc, channel):
    _make(svc, channel, 7)
    expected = list(range(6, -1, -1))
    assert [m.index for m in _msgs(svc, channel).list(order="desc", page_size=3)] == expected
    assert [m.index for m in _msgs(svc, channel).stream(order="desc", page_size=3)] == expected
    assert [m.index for m in _msgs(svc, channel).list(order="desc", limit=4)] == [6, 5, 4, 3]


def test_paging_pages_explicit(svc, channel, base_url, service):
    _make(svc, channel, 7)
    page = _msgs(svc, channel).page(order="desc", page_size=3)
    meta = page._payload["meta"]
    assert meta["key"] == "messages"
    assert meta["next_page_url"].startswith("%s/v2/Services/%s/Channels/%s/Messages?" % (
        base_url, service.sid, channel.sid))
    seen = []
    while page is not None:
        seen.append([m.index for m in page])
        page = page.next_page()
    assert seen == [[6, 5, 4], [3, 2, 1], [0]]


def test_paging_after_delete(svc, channel):
    msgs = [_msgs(svc, channel).create(body=str(i)) for i in range(7)]
    for i in (1, 4):
        _msgs(svc, channel)(msgs[i].sid).delete()
    assert [m.index for m in _msgs(svc, channel).list(page_size=2)] == [0, 2, 3, 5, 6]
    assert [m.index for m in _msgs(svc, channel).list(order="desc", page_size=2)] == \
        [6, 5, 3, 2, 0]


def test_body_too_long_50504(svc, channel):
    assert_rest_error(lambda: _msgs(svc, channel).create(body="x" * (MAX_BODY + 1)), 400, 50504)
    assert svc.channels(channel.sid).fetch().messages_count == 0
    assert _msgs(svc, channel).list() == []


def test_body_at_limit_accepted(svc, channel):
    body = "x" * MAX_BODY
    m = _msgs(svc, channel).create(body=body)
    assert m.index == 0
    assert _msgs(svc, channel)(m.sid).fetch().body == body
    assert svc.channels(channel.sid).fetch().messages_count == 1


def test_body_limit_counts_utf8_bytes(svc, channel):
    ok = "é" * (MAX_BODY // 2)  # exactly 32 KiB of UTF-8
    m = _msgs(svc, channel).create(body=ok)
    assert len(m.body.encode("utf-8")) == MAX_BODY
    assert_rest_error(lambda: _msgs(svc, channel).create(body=ok + "x"), 400, 50504)
    assert svc.channels(channel.sid).fetch().messages_count == 1


def test_update_body_too_long_50504(svc, channel):
    m = _msgs(svc, channel).create(body="short")
    assert_rest_error(lambda: _msgs(svc, channel)(m.sid).update(body="y" * (MAX_BODY + 1)),
                      400, 50504)
    got = _msgs(svc, channel)(m.sid).fetch()
    assert got.body == "short"
    assert got.was_edited is False


def test_invalid_media_sid_400(svc, channel):
    assert_rest_error(lambda: _msgs(svc, channel).create(media_sid="not-a-sid"), 400)
    assert svc.channels(channel.sid).fetch().messages_count == 0


def test_media_sid_is_accepted_as_a_media_message(banter, service, svc, channel):
    """An uploaded media's SID makes a media message; an unknown one is Twilio's 50507."""
    assert_rest_error(lambda: _msgs(svc, channel).create(media_sid="ME" + "0" * 32), 400, 50507)
    r = upload(banter, service.sid, b"\x89PNG fake", "image/png", filename="x.png")
    assert r.status_code == 201, r.text
    media_sid = r.json()["sid"]
    m = _msgs(svc, channel).create(media_sid=media_sid)
    assert m.type == "media"
    assert m.media == {"sid": media_sid, "size": 9, "content_type": "image/png", "filename": "x.png"}
    assert svc.channels(channel.sid).fetch().messages_count == 1


def test_message_on_unknown_channel_404(svc):
    assert_rest_error(lambda: svc.channels("CH" + "0" * 32).messages.create(body="x"),
                      404, 20404)
    status, _ = list_error(svc.channels("no-such-channel").messages.list)
    assert status == 404


def test_other_account_cannot_see_message(other_client, svc, service, channel):
    m = _msgs(svc, channel).create(body="secret")
    other = other_client.chat.v2.services(service.sid).channels(channel.sid)
    assert_rest_error(other.messages(m.sid).fetch, 404, 20404)
    assert_rest_error(lambda: other.messages(m.sid).update(body="hacked"), 404, 20404)
    assert_rest_error(other.messages(m.sid).delete, 404, 20404)
    assert_rest_error(lambda: other.messages.create(body="x"), 404, 20404)
    status, _ = list_error(other.messages.list)
    assert status == 404
    assert _msgs(svc, channel)(m.sid).fetch().body == "secret"
    assert svc.channels(channel.sid).fetch().messages_count == 1
