"""Conversations API: Services, the account Configuration (default service, webhooks) and a
service's Configuration (default roles, reachability, notifications, webhooks), through
twilio-python's client.conversations.v1. A Conversations service is a Chat service."""

from datetime import datetime

from conftest import SID_RE, assert_rest_error, make_client, unique


def test_service_create_fetch_list_delete(client, base_url):
    conv = client.conversations.v1
    name = unique("csvc")
    svc = conv.services.create(friendly_name=name)
    try:
        assert SID_RE["IS"].match(svc.sid)
        assert svc.friendly_name == name
        assert isinstance(svc.date_created, datetime), repr(svc.date_created)
        assert svc.url == "%s/v1/Services/%s" % (base_url, svc.sid)
        assert svc.links["conversations"] == svc.url + "/Conversations"
        got = conv.services(svc.sid).fetch()
        assert got.friendly_name == name and got.date_created == svc.date_created
        assert svc.sid in [s.sid for s in conv.services.list()]
        # The same service through Chat v2, with the default roles Chat gives it.
        chat = client.chat.v2.services(svc.sid).fetch()
        assert chat.friendly_name == name
        assert len(client.chat.v2.services(svc.sid).roles.list()) == 4
    finally:
        assert conv.services(svc.sid).delete() is True
    assert_rest_error(conv.services(svc.sid).fetch, 404, 20404)


def test_chat_service_is_a_conversations_service(client, service):
    got = client.conversations.v1.services(service.sid).fetch()
    assert got.sid == service.sid and got.friendly_name == service.friendly_name


def test_service_create_needs_a_name(client):
    assert_rest_error(client.conversations.v1.services.create, 400, 20001, friendly_name="")


def test_default_service_is_created_once(banter):
    sid, token = banter.create_account()
    c = make_client(sid, token, banter.url)
    first = c.conversations.v1.configuration().fetch()
    assert SID_RE["IS"].match(first.default_chat_service_sid)
    assert first.account_sid == sid
    assert first.url == "%s/v1/Configuration" % banter.url
    again = c.conversations.v1.configuration().fetch()
    assert again.default_chat_service_sid == first.default_chat_service_sid
    services = c.conversations.v1.services.list()
    assert [s.sid for s in services] == [first.default_chat_service_sid]
    assert services[0].friendly_name == "Default Conversations Service"


def test_top_level_resources_use_the_default_service(banter):
    sid, token = banter.create_account()
    c = make_client(sid, token, banter.url)
    conversation = c.conversations.v1.conversations.create(friendly_name="first")
    default = c.conversations.v1.configuration().fetch().default_chat_service_sid
    assert conversation.chat_service_sid == default
    assert conversation.url == "%s/v1/Conversations/%s" % (banter.url, conversation.sid)
    scoped = c.conversations.v1.services(default).conversations(conversation.sid).fetch()
    assert scoped.url == "%s/v1/Services/%s/Conversations/%s" % (banter.url, default, conversation.sid)


def test_configuration_update_default_service_and_timers(banter):
    sid, token = banter.create_account()
    c = make_client(sid, token, banter.url)
    other = c.conversations.v1.services.create(friendly_name="other")
    cfg = c.conversations.v1.configuration().update(
        default_chat_service_sid=other.sid, default_inactive_timer="PT1H",
        default_closed_timer="P1D", default_messaging_service_sid="MG" + "0" * 32)
    assert cfg.default_chat_service_sid == other.sid
    assert cfg.default_inactive_timer == "PT1H"
    assert cfg.default_closed_timer == "P1D"
    assert cfg.default_messaging_service_sid == "MG" + "0" * 32
    conversation = c.conversations.v1.conversations.create()
    assert conversation.chat_service_sid == other.sid
    assert_rest_error(c.conversations.v1.configuration().update, 400, 20001,
                      default_chat_service_sid="IS" + "f" * 32)


def test_configuration_webhooks_are_stored(client):
    hooks = client.conversations.v1.configuration.webhooks()
    got = hooks.update(method="GET", filters=["onMessageAdded", "onConversationAdded"],
                       pre_webhook_url="https://example.com/pre",
                       post_webhook_url="https://example.com/post", target="webhook")
    assert got.method == "GET"
    assert got.filters == ["onMessageAdded", "onConversationAdded"]
    assert got.pre_webhook_url == "https://example.com/pre"
    assert got.post_webhook_url == "https://example.com/post"
    assert got.target == "webhook"
    again = hooks.fetch()
    assert again.filters == got.filters and again.method == "GET"
    assert_rest_error(hooks.update, 400, 20001, target="nowhere")


def test_service_configuration_is_the_chat_service_settings(client, service):
    cfg = client.conversations.v1.services(service.sid).configuration()
    got = cfg.fetch()
    chat = client.chat.v2.services(service.sid).fetch()
    assert got.chat_service_sid == service.sid
    assert got.default_conversation_creator_role_sid == chat.default_channel_creator_role_sid
    assert got.default_conversation_role_sid == chat.default_channel_role_sid
    assert got.default_chat_service_role_sid == chat.default_service_role_sid
    assert got.reachability_enabled is False
    updated = cfg.update(reachability_enabled=True)
    assert updated.reachability_enabled is True
    assert client.chat.v2.services(service.sid).fetch().reachability_enabled is True
    role = client.conversations.v1.services(service.sid).roles.create(
        friendly_name=unique("r"), type="conversation", permission=["sendMessage"])
    updated = cfg.update(default_conversation_role_sid=role.sid)
    assert updated.default_conversation_role_sid == role.sid
    assert client.chat.v2.services(service.sid).fetch().default_channel_role_sid == role.sid


def test_service_notifications(client, service):
    n = client.conversations.v1.services(service.sid).configuration.notifications()
    got = n.update(log_enabled=True, new_message_enabled=True, new_message_template="${MESSAGE}",
                   new_message_badge_count_enabled=True, added_to_conversation_enabled=True,
                   removed_from_conversation_template="bye")
    assert got.log_enabled is True
    assert got.new_message["enabled"] is True
    assert got.new_message["template"] == "${MESSAGE}"
    assert got.new_message["badge_count_enabled"] is True
    assert got.added_to_conversation["enabled"] is True
    assert got.removed_from_conversation["template"] == "bye"
    chat = client.chat.v2.services(service.sid).fetch()
    assert chat.notifications["new_message"]["template"] == "${MESSAGE}"
    assert chat.notifications["added_to_channel"]["enabled"] is True
    assert n.fetch().new_message == got.new_message


def test_service_webhooks(client, service):
    w = client.conversations.v1.services(service.sid).configuration.webhooks()
    got = w.update(pre_webhook_url="https://example.com/pre", filters=["onMessageAdd"],
                   method="POST")
    assert got.pre_webhook_url == "https://example.com/pre"
    assert got.filters == ["onMessageAdd"]
    assert got.method == "POST"
    assert w.fetch().pre_webhook_url == "https://example.com/pre"
    assert client.chat.v2.services(service.sid).fetch().pre_webhook_url == "https://example.com/pre"
