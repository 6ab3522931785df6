"""Services: create defaults, fetch, update round-trips, validation, paging, delete."""

from datetime import datetime

import pytest

from conftest import SID_RE, assert_rest_error, last_json, unique

DEFAULT_ROLE_NAMES = {"service admin", "service user", "channel admin", "channel user"}


# --------------------------------------------------------------------------- create


def test_create_returns_sid_account_and_name(client, banter, service_factory):
    name = unique("my svc ünï +&=%")
    svc = service_factory(name)
    assert SID_RE["IS"].match(svc.sid)
    assert svc.account_sid == banter.account_sid
    assert svc.friendly_name == name
    assert_rest_error(lambda: client.chat.v2.services.create(friendly_name=""), 400)


def test_create_defaults_flags_and_counters(service):
    assert service.read_status_enabled is True
    assert service.reachability_enabled is False
    assert service.typing_indicator_timeout == 5
    assert service.consumption_report_interval == 10
    assert service.pre_webhook_retry_count == 0
    assert service.post_webhook_retry_count == 0
    assert service.pre_webhook_url is None
    assert service.post_webhook_url is None
    assert service.webhook_method is None
    assert service.webhook_filters is None


def test_create_defaults_limits_media_notifications(service):
    assert service.limits == {"channel_members": 100, "user_channels": 250}
    assert service.media["size_limit_mb"] == 150
    assert service.media.get("compatibility_message") is None
    notif = service.notifications
    assert isinstance(notif, dict)
    assert notif["new_message"]["enabled"] is False
    for kind in ("added_to_channel", "removed_from_channel", "invited_to_channel"):
        assert notif.get(kind, {}).get("enabled", False) is False
    assert notif.get("log_enabled", False) is False
    assert notif["new_message"].get("badge_count_enabled", False) is False


def test_create_dates_are_parsed_datetimes(service):
    assert isinstance(service.date_created, datetime), repr(service.date_created)
    assert isinstance(service.date_updated, datetime), repr(service.date_updated)
    assert service.date_updated >= service.date_created


def test_create_url_and_links_point_at_server(service, base_url):
    expected = "%s/v2/Services/%s" % (base_url, service.sid)
    assert service.url == expected
    assert service.links == {
        "channels": expected + "/Channels",
        "users": expected + "/Users",
        "roles": expected + "/Roles",
        "bindings": expected + "/Bindings",
    }


def test_create_makes_four_default_roles(client, service):
    roles = client.chat.v2.services(service.sid).roles.list()
    names = sorted(r.friendly_name for r in roles)
    assert names == sorted(DEFAULT_ROLE_NAMES)
    types = {r.friendly_name: r.type for r in roles}
    assert types == {
        "service admin": "deployment",
        "service user": "deployment",
        "channel admin": "channel",
        "channel user": "channel",
    }


def test_default_role_sids_point_at_default_roles(service, roles_by_name):
    roles = roles_by_name(service.sid)
    assert service.default_service_role_sid == roles["service user"].sid
    assert service.default_channel_role_sid == roles["channel user"].sid
    assert service.default_channel_creator_role_sid == roles["channel admin"].sid


# --------------------------------------------------------------------------- fetch


def test_fetch_matches_create(client, service):
    got = client.chat.v2.services(service.sid).fetch()
    assert got.sid == service.sid
    assert got.friendly_name == service.friendly_name
    assert got.date_created == service.date_created
    assert got.default_service_role_sid == service.default_service_role_sid
    assert got.limits == service.limits
    assert got.notifications == service.notifications
    assert got.url == service.url


def test_fetch_unknown_service_404(client):
    err = assert_rest_error(client.chat.v2.services("IS" + "0" * 32).fetch, 404, 20404)
    assert "/Services/IS" + "0" * 32 in err.msg
    assert_rest_error(client.chat.v2.services("ISnotasid").fetch, 404, 20404)


# --------------------------------------------------------------------------- update

FULL_UPDATE = dict(
    friendly_name="renamed service ✓",
    read_status_enabled=False,
    reachability_enabled=True,
    typing_indicator_timeout=17,
    consumption_report_interval=33,
    notifications_new_message_enabled=True,
    notifications_new_message_template="New: ${MESSAGE}",
    notifications_new_message_sound="ding.wav",
    notifications_new_message_badge_count_enabled=True,
    notifications_added_to_channel_enabled=True,
    notifications_added_to_channel_template="Added to ${CHANNEL}",
    notifications_added_to_channel_sound="added.wav",
    notifications_removed_from_channel_enabled=True,
    notifications_removed_from_channel_template="Removed from ${CHANNEL}",
    notifications_removed_from_channel_sound="removed.wav",
    notifications_invited_to_channel_enabled=True,
    notifications_invited_to_channel_template="Invited by ${USER}",
    notifications_invited_to_channel_sound="invited.wav",
    notifications_log_enabled=True,
    pre_webhook_url="https://example.com/pre?x=1&y=2",
    post_webhook_url="https://example.com/post",
    webhook_method="GET",
    webhook_filters=["onMessageSent", "onChannelAdded", "onUserUpdated"],
    limits_channel_members=1000,
    limits_user_channels=1000,
    media_compatibility_message="Media not supported",
    pre_webhook_retry_count=2,
    post_webhook_retry_count=3,
)


def _check_full_update(svc):
    assert svc.friendly_name == FULL_UPDATE["friendly_name"]
    assert svc.read_status_enabled is False
    assert svc.reachability_enabled is True
    assert svc.typing_indicator_timeout == 17
    assert svc.consumption_report_interval == 33
    n = svc.notifications
    assert n["new_message"]["enabled"] is True
    assert n["new_message"]["template"] == "New: ${MESSAGE}"
    assert n["new_message"]["sound"] == "ding.wav"
    assert n["new_message"]["badge_count_enabled"] is True
    for kind, tmpl in (("added_to_channel", "Added to ${CHANNEL}"),
                       ("removed_from_channel", "Removed from ${CHANNEL}"),
                       ("invited_to_channel", "Invited by ${USER}")):
        assert n[kind]["enabled"] is True, kind
        assert n[kind]["template"] == tmpl, kind
        assert n[kind]["sound"] == kind.split("_")[0] + ".wav", kind
    assert n["log_enabled"] is True
    assert svc.pre_webhook_url == "https://example.com/pre?x=1&y=2"
    assert svc.post_webhook_url == "https://example.com/post"
    assert svc.webhook_method == "GET"
    assert svc.webhook_filters == ["onMessageSent", "onChannelAdded", "onUserUpdated"]
    assert svc.limits == {"channel_members": 1000, "user_channels": 1000}
    assert svc.media["compatibility_message"] == "Media not supported"
    assert svc.media["size_limit_mb"] == 150
    assert svc.pre_webhook_retry_count == 2
    assert svc.post_webhook_retry_count == 3


def test_update_all_parameters_round_trip(client, service):
    updated = client.chat.v2.services(service.sid).update(**FULL_UPDATE)
    _check_full_update(updated)
    assert updated.sid == service.sid
    assert isinstance(updated.date_updated, datetime)
    assert updated.date_updated >= service.date_updated
    _check_full_update(client.chat.v2.services(service.sid).fetch())


def test_update_default_role_sids_round_trip(client, service):
    roles = client.chat.v2.services(service.sid).roles
    dep = roles.create(friendly_name=unique("dep"), type="deployment", permission=["createChannel"])
    ch1 = roles.create(friendly_name=unique("ch1"), type="channel", permission=["sendMessage"])
    ch2 = roles.create(friendly_name=unique("ch2"), type="channel", permission=["leaveChannel"])
    updated = client.chat.v2.services(service.sid).update(
        default_service_role_sid=dep.sid,
        default_channel_role_sid=ch1.sid,
        default_channel_creator_role_sid=ch2.sid,
    )
    for svc in (updated, client.chat.v2.services(service.sid).fetch()):
        assert svc.default_service_role_sid == dep.sid
        assert svc.default_channel_role_sid == ch1.sid
        assert svc.default_channel_creator_role_sid == ch2.sid


def test_partial_update_leaves_other_fields_unchanged(client, service):
    ctx = client.chat.v2.services(service.sid)
    ctx.update(typing_indicator_timeout=9, webhook_filters=["onMessageSent"],
               notifications_new_message_enabled=True, limits_user_channels=300)
    updated = ctx.update(friendly_name="only the name")
    for svc in (updated, ctx.fetch()):
        assert svc.friendly_name == "only the name"
        assert svc.typing_indicator_timeout == 9
        assert svc.webhook_filters == ["onMessageSent"]
        assert svc.notifications["new_message"]["enabled"] is True
        assert svc.limits == {"channel_members": 100, "user_channels": 300}
        assert svc.read_status_enabled is True
        assert svc.default_service_role_sid == service.default_service_role_sid
        assert svc.date_created == service.date_created


def test_update_notification_subfield_keeps_siblings(client, service):
    ctx = client.chat.v2.services(service.sid)
    ctx.update(notifications_new_message_enabled=True,
               notifications_new_message_template="T1")
    updated = ctx.update(notifications_new_message_sound="s.wav")
    nm = updated.notifications["new_message"]
    assert nm["enabled"] is True
    assert nm["template"] == "T1"
    assert nm["sound"] == "s.wav"


BAD_UPDATES = [
    ("channel_members_5000", dict(limits_channel_members=5000), 50061),
    ("channel_members_1001", dict(limits_channel_members=1001), 50061),
    ("user_channels_0", dict(limits_user_channels=0), 50060),
    ("webhook_method_put", dict(webhook_method="PUT"), 20001),
    ("webhook_filter_unknown", dict(webhook_filters=["onNothing"]), 20001),
    ("retry_count_negative", dict(pre_webhook_retry_count=-1), 50065),
    ("nonexistent_role", dict(default_service_role_sid="RL" + "0" * 32), 50100),
]


@pytest.mark.parametrize("params,code", [(p, c) for _, p, c in BAD_UPDATES],
                         ids=[i for i, _, _ in BAD_UPDATES])
def test_update_bad_input_rejected_and_nothing_changes(client, service, params, code):
    ctx = client.chat.v2.services(service.sid)
    # A valid field in the same request must not be applied either.
    assert_rest_error(lambda: ctx.update(friendly_name="must not stick", **params), 400, code)
    after = ctx.fetch()
    assert after.friendly_name == service.friendly_name
    assert after.limits == service.limits
    assert after.webhook_method is None
    assert after.webhook_filters is None
    assert after.pre_webhook_retry_count == 0
    assert after.default_service_role_sid == service.default_service_role_sid


def test_update_default_role_of_wrong_type_50105(client, service):
    ctx = client.chat.v2.services(service.sid)
    assert_rest_error(
        lambda: ctx.update(default_channel_role_sid=service.default_service_role_sid),
        400, 50105)
    assert_rest_error(
        lambda: ctx.update(default_channel_creator_role_sid=service.default_service_role_sid),
        400, 50105)
    assert_rest_error(
        lambda: ctx.update(default_service_role_sid=service.default_channel_role_sid),
        400, 50105)
    after = ctx.fetch()
    assert after.default_channel_role_sid == service.default_channel_role_sid
    assert after.default_channel_creator_role_sid == service.default_channel_creator_role_sid
    assert after.default_service_role_sid == service.default_service_role_sid


def test_update_default_role_of_other_service_rejected(client, service, service_factory):
    other = service_factory()
    ctx = client.chat.v2.services(service.sid)
    assert_rest_error(
        lambda: ctx.update(default_channel_role_sid=other.default_channel_role_sid), 400, 50100)
    assert ctx.fetch().default_channel_role_sid == service.default_channel_role_sid


def test_update_unknown_service_404(client):
    assert_rest_error(
        lambda: client.chat.v2.services("IS" + "1" * 32).update(friendly_name="x"), 404, 20404)


# --------------------------------------------------------------------------- list / paging


def test_list_paging_returns_all_created(client, service_factory):
    mine = {service_factory().sid for _ in range(7)}
    listed = client.chat.v2.services.list(page_size=3)
    sids = [s.sid for s in listed]
    assert len(sids) == len(set(sids)), "duplicate services across pages"
    assert mine <= set(sids)
    assert len(client.chat.v2.services.list(limit=3)) == 3
    assert len(client.chat.v2.services.list(limit=3, page_size=2)) == 3
    # An oversized PageSize (max 100) must not break listing.
    assert mine <= {s.sid for s in client.chat.v2.services.list(page_size=500)}


def test_stream_paging(client, service_factory):
    mine = {service_factory().sid for _ in range(5)}
    streamed = [s.sid for s in client.chat.v2.services.stream(page_size=2)]
    assert mine <= set(streamed)
    assert len(streamed) == len(set(streamed))


def test_page_next_and_previous(client, service_factory, base_url):
    for _ in range(7):
        service_factory()
    first = client.chat.v2.services.page(page_size=3)
    first_sids = [s.sid for s in first]
    assert len(first_sids) == 3
    assert first.previous_page() is None
    second = first.next_page()
    assert second is not None
    second_sids = [s.sid for s in second]
    assert len(second_sids) >= 1
    assert not set(first_sids) & set(second_sids)
    back = second.previous_page()
    assert back is not None
    assert [s.sid for s in back] == first_sids
    meta = first._payload["meta"]
    assert meta["key"] == "services"
    assert meta["page_size"] == 3
    assert meta["page"] == 0
    assert meta["next_page_url"].startswith(base_url + "/v2/Services?")
    assert meta["url"].startswith(base_url + "/v2/Services?")
    assert meta["first_page_url"].startswith(base_url + "/v2/Services?")
    assert second._payload["meta"]["page"] == 1
    page = second
    while page._payload["meta"]["next_page_url"] is not None:
        page = page.next_page()
    assert page.next_page() is None


def test_list_instances_have_full_fields(client, service):
    listed = {s.sid: s for s in client.chat.v2.services.list()}
    got = listed[service.sid]
    assert got.friendly_name == service.friendly_name
    assert isinstance(got.date_created, datetime)
    assert got.limits == service.limits
    assert got.default_channel_role_sid == service.default_channel_role_sid


# --------------------------------------------------------------------------- delete


def test_delete_then_fetch_404(client, service_factory):
    svc = service_factory()
    assert client.chat.v2.services(svc.sid).delete() is True
    assert_rest_error(client.chat.v2.services(svc.sid).fetch, 404, 20404)
    assert svc.sid not in {s.sid for s in client.chat.v2.services.list()}
    assert_rest_error(client.chat.v2.services(svc.sid).delete, 404, 20404)


def test_delete_removes_users_and_roles(client, service_factory):
    svc = service_factory()
    ctx = client.chat.v2.services(svc.sid)
    user = ctx.users.create(identity=unique("u"))
    role = ctx.roles.create(friendly_name=unique("r"), type="channel", permission=["sendMessage"])
    assert ctx.delete() is True
    assert_rest_error(ctx.users(user.sid).fetch, 404, 20404)
    assert_rest_error(ctx.users(user.identity).fetch, 404, 20404)
    assert_rest_error(ctx.roles(role.sid).fetch, 404, 20404)
    assert_rest_error(ctx.roles(svc.default_service_role_sid).fetch, 404, 20404)


# --------------------------------------------------------------------------- wire-level


SERVICE_KEYS = {
    "sid", "account_sid", "friendly_name", "date_created", "date_updated",
    "default_service_role_sid", "default_channel_role_sid",
    "default_channel_creator_role_sid", "read_status_enabled", "reachability_enabled",
    "typing_indicator_timeout", "consumption_report_interval", "limits", "pre_webhook_url",
    "post_webhook_url", "webhook_method", "webhook_filters", "pre_webhook_retry_count",
    "post_webhook_retry_count", "notifications", "media", "url", "links",
}


def test_every_service_key_is_present(client, service_factory):
    service_factory()
    raw = last_json(client)
    assert SERVICE_KEYS <= set(raw), SERVICE_KEYS - set(raw)


def test_http_status_codes(client):
    created = client.chat.v2.services.create_with_http_info(friendly_name=unique("http"))
    assert created.status_code == 201
    sid = created.data.sid
    try:
        ctx = client.chat.v2.services(sid)
        assert ctx.fetch_with_http_info().status_code == 200
        assert ctx.update_with_http_info(friendly_name="x").status_code == 200
    finally:
        deleted = client.chat.v2.services(sid).delete_with_http_info()
    assert deleted.status_code == 204
    assert deleted.data is True
    assert client.http_client._test_only_last_response.text == ""
