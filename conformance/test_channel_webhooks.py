"""Channel-scoped webhooks: webhook/trigger/studio types, validation, limits, CRUD."""

from datetime import datetime

from conftest import SID_RE, assert_rest_error, last_json, list_error

WEBHOOK_KEYS = {"account_sid", "service_sid", "channel_sid", "sid", "type", "configuration",
                "date_created", "date_updated", "url"}

URL = "https://hooks.example.com/chat"
FLOW = "FW" + "ab" * 16


def _hooks(svc, channel):
    return svc.channels(channel.sid).webhooks


def _make_webhook(svc, channel, url=URL):
    return _hooks(svc, channel).create(
        type="webhook", configuration_url=url, configuration_method="POST",
        configuration_filters=["onMessageSent"], configuration_retry_count=2)


def test_create_webhook_type(client, banter, service, svc, channel, base_url):
    wh = _make_webhook(svc, channel)
    assert set(last_json(client)) == WEBHOOK_KEYS
    assert SID_RE["WH"].match(wh.sid), wh.sid
    assert wh.account_sid == banter.account_sid
    assert wh.service_sid == service.sid
    assert wh.channel_sid == channel.sid
    assert wh.type == "webhook"
    assert wh.configuration == {"url": URL, "method": "POST", "filters": ["onMessageSent"],
                                "retry_count": 2}
    assert isinstance(wh.date_created, datetime), repr(wh.date_created)
    assert wh.url == "%s/v2/Services/%s/Channels/%s/Webhooks/%s" % (
        base_url, service.sid, channel.sid, wh.sid)


def test_create_webhook_multiple_filters(svc, channel):
    wh = _hooks(svc, channel).create(
        type="webhook", configuration_url=URL, configuration_method="GET",
        configuration_filters=["onMessageSent", "onMemberAdded"])
    assert wh.configuration["method"] == "GET"
    assert wh.configuration["filters"] == ["onMessageSent", "onMemberAdded"]
    assert wh.configuration["retry_count"] == 0  # default


def test_create_trigger_type(svc, channel):
    wh = _hooks(svc, channel).create(type="trigger", configuration_url=URL,
                                     configuration_method="POST",
                                     configuration_triggers=["kw1", "kw2"])
    assert wh.type == "trigger"
    cfg = wh.configuration
    assert cfg["url"] == URL
    assert cfg["filters"] == ["kw1", "kw2"]
    if "triggers" in cfg:
        assert cfg["triggers"] == ["kw1", "kw2"]
    fetched = _hooks(svc, channel)(wh.sid).fetch()
    assert fetched.configuration["filters"] == ["kw1", "kw2"]


def test_create_studio_type(svc, channel):
    wh = _hooks(svc, channel).create(type="studio", configuration_flow_sid=FLOW)
    assert wh.type == "studio"
    assert wh.configuration["flow_sid"] == FLOW
    assert _hooks(svc, channel)(wh.sid).fetch().configuration["flow_sid"] == FLOW


def test_create_on_channel_by_unique_name(svc, channel):
    wh = svc.channels(channel.unique_name).webhooks.create(type="webhook", configuration_url=URL)
    assert wh.channel_sid == channel.sid
    assert svc.channels(channel.unique_name).webhooks(wh.sid).fetch().sid == wh.sid


def test_sixth_webhook_403_50321(svc, channel):
    for i in range(5):
        _make_webhook(svc, channel, url="%s/%d" % (URL, i))
    assert_rest_error(lambda: _make_webhook(svc, channel, url=URL + "/6"), 403, 50321)
    assert len(_hooks(svc, channel).list()) == 5
    # the limit is per channel
    other = svc.channels.create()
    assert _make_webhook(svc, other).channel_sid == other.sid


def test_retry_count_out_of_range_50065(svc, channel):
    assert_rest_error(lambda: _hooks(svc, channel).create(
        type="webhook", configuration_url=URL, configuration_retry_count=5), 400, 50065)
    assert _hooks(svc, channel).list() == []
    ok = _hooks(svc, channel).create(type="webhook", configuration_url=URL,
                                     configuration_retry_count=3)
    assert ok.configuration["retry_count"] == 3


def test_invalid_type_400(svc, channel):
    assert_rest_error(lambda: _hooks(svc, channel).create(type="nope", configuration_url=URL),
                      400)
    assert _hooks(svc, channel).list() == []


def test_webhook_without_url_400(svc, channel):
    assert_rest_error(lambda: _hooks(svc, channel).create(
        type="webhook", configuration_method="POST",
        configuration_filters=["onMessageSent"]), 400)
    assert _hooks(svc, channel).list() == []


def test_invalid_method_400(svc, channel):
    assert_rest_error(lambda: _hooks(svc, channel).create(
        type="webhook", configuration_url=URL, configuration_method="PUT"), 400)


def test_update_url_keeps_other_configuration(svc, channel):
    wh = _make_webhook(svc, channel)
    new_url = "https://other.example.com/hook"
    updated = _hooks(svc, channel)(wh.sid).update(configuration_url=new_url)
    for got in (updated, _hooks(svc, channel)(wh.sid).fetch()):
        assert got.sid == wh.sid
        assert got.type == "webhook"
        assert got.configuration == {"url": new_url, "method": "POST",
                                     "filters": ["onMessageSent"], "retry_count": 2}


def test_update_retry_count_validated(svc, channel):
    wh = _make_webhook(svc, channel)
    assert_rest_error(lambda: _hooks(svc, channel)(wh.sid).update(configuration_retry_count=4),
                      400, 50065)
    assert _hooks(svc, channel)(wh.sid).fetch().configuration["retry_count"] == 2
    updated = _hooks(svc, channel)(wh.sid).update(configuration_retry_count=1,
                                                  configuration_filters=["onMemberAdded"])
    assert updated.configuration["retry_count"] == 1
    assert updated.configuration["filters"] == ["onMemberAdded"]


def test_list_webhooks(svc, channel, base_url, service):
    sids = {_make_webhook(svc, channel, url="%s/%d" % (URL, i)).sid for i in range(5)}
    listed = _hooks(svc, channel).list()
    assert {w.sid for w in listed} == sids
    assert len(listed) == 5
    paged = _hooks(svc, channel).list(page_size=2)
    assert {w.sid for w in paged} == sids and len(paged) == 5
    page = _hooks(svc, channel).page()
    meta = page._payload["meta"]
    assert meta["key"] == "webhooks"
    assert meta["page_size"] == 5  # default and maximum for channel webhooks
    other = svc.channels.create()
    assert _hooks(svc, other).list() == []


def test_delete_webhook(svc, channel):
    wh = _make_webhook(svc, channel)
    keep = _make_webhook(svc, channel, url=URL + "/keep")
    assert _hooks(svc, channel)(wh.sid).delete() is True
    assert_rest_error(_hooks(svc, channel)(wh.sid).fetch, 404, 20404)
    assert [w.sid for w in _hooks(svc, channel).list()] == [keep.sid]
    assert_rest_error(_hooks(svc, channel)(wh.sid).delete, 404, 20404)


def test_fetch_unknown_or_other_channel_404(svc, channel):
    assert_rest_error(_hooks(svc, channel)("WH" + "0" * 32).fetch, 404, 20404)
    wh = _make_webhook(svc, channel)
    other = svc.channels.create()
    assert_rest_error(_hooks(svc, other)(wh.sid).fetch, 404, 20404)


def test_other_account_cannot_see_webhooks(other_client, svc, service, channel):
    wh = _make_webhook(svc, channel)
    other = other_client.chat.v2.services(service.sid).channels(channel.sid)
    assert_rest_error(other.webhooks(wh.sid).fetch, 404, 20404)
    assert_rest_error(other.webhooks(wh.sid).delete, 404, 20404)
    status, _ = list_error(other.webhooks.list)
    assert status == 404
    assert _hooks(svc, channel)(wh.sid).fetch().sid == wh.sid
