"""Roles: create/fetch/list/update/delete and validation."""

from datetime import datetime

from twilio.base.exceptions import TwilioRestException

from conftest import SID_RE, assert_rest_error, unique


def _roles(client, service):
    return client.chat.v2.services(service.sid).roles


def test_create_channel_role_fields(client, banter, service, base_url):
    name = unique("chan role")
    role = _roles(client, service).create(
        friendly_name=name, type="channel", permission=["sendMessage", "leaveChannel"])
    assert SID_RE["RL"].match(role.sid)
    assert role.account_sid == banter.account_sid
    assert role.service_sid == service.sid
    assert role.friendly_name == name
    assert role.type == "channel"
    assert sorted(role.permissions) == ["leaveChannel", "sendMessage"]
    assert isinstance(role.date_created, datetime), repr(role.date_created)
    assert isinstance(role.date_updated, datetime), repr(role.date_updated)
    assert role.url == "%s/v2/Services/%s/Roles/%s" % (base_url, service.sid, role.sid)


def test_create_deployment_role_and_fetch(client, service):
    roles = _roles(client, service)
    role = roles.create(friendly_name=unique("dep"), type="deployment",
                        permission=["createChannel", "joinChannel", "editAnyUserInfo"])
    assert role.type == "deployment"
    got = roles(role.sid).fetch()
    assert got.sid == role.sid
    assert got.friendly_name == role.friendly_name
    assert got.type == "deployment"
    assert sorted(got.permissions) == ["createChannel", "editAnyUserInfo", "joinChannel"]
    assert got.date_created == role.date_created


def test_default_service_user_permissions(client, service, roles_by_name):
    role = roles_by_name(service.sid)["service user"]
    assert set(role.permissions) == {"createChannel", "joinChannel", "editOwnUserInfo"}
    assert role.service_sid == service.sid
    roles = roles_by_name(service.sid)
    assert {"sendMessage", "leaveChannel"} <= set(roles["channel user"].permissions)
    assert {"sendMessage", "leaveChannel", "destroyChannel", "removeMember"} <= set(
        roles["channel admin"].permissions)
    assert {"createChannel", "joinChannel", "destroyChannel", "editAnyUserInfo"} <= set(
        roles["service admin"].permissions)


def test_create_unknown_permission_50104(client, service):
    roles = _roles(client, service)
    assert_rest_error(lambda: roles.create(friendly_name=unique("r"), type="channel",
                                           permission=["sendMessage", "flyToTheMoon"]),
                      400, 50104)
    assert len(roles.list()) == 4


def test_create_permission_of_wrong_scope_50104(client, service):
    # leaveChannel only exists in the channel-scope vocabulary.
    assert_rest_error(lambda: _roles(client, service).create(
        friendly_name=unique("r"), type="deployment", permission=["leaveChannel"]), 400, 50104)


def test_create_invalid_type_50105(client, service):
    assert_rest_error(lambda: _roles(client, service).create(
        friendly_name=unique("r"), type="superuser", permission=["sendMessage"]), 400, 50105)


def test_create_without_permissions_400(client, service):
    assert_rest_error(lambda: _roles(client, service).create(
        friendly_name=unique("r"), type="channel", permission=[]), 400)


def test_create_friendly_name_too_long_400(client, service):
    assert_rest_error(lambda: _roles(client, service).create(
        friendly_name="x" * 65, type="channel", permission=["sendMessage"]), 400)


def test_update_replaces_permission_list(client, service):
    roles = _roles(client, service)
    role = roles.create(friendly_name=unique("r"), type="channel",
                        permission=["sendMessage", "leaveChannel", "editOwnMessage"])
    updated = roles(role.sid).update(permission=["deleteOwnMessage"])
    assert updated.permissions == ["deleteOwnMessage"]
    assert updated.friendly_name == role.friendly_name
    assert updated.type == "channel"
    assert updated.date_created == role.date_created
    assert roles(role.sid).fetch().permissions == ["deleteOwnMessage"]


def test_update_unknown_permission_rejected_and_unchanged(client, service):
    roles = _roles(client, service)
    role = roles.create(friendly_name=unique("r"), type="channel", permission=["sendMessage"])
    assert_rest_error(lambda: roles(role.sid).update(permission=["sendMessage", "bogus"]),
                      400, 50104)
    assert_rest_error(lambda: roles(role.sid).update(permission=[]), 400)
    assert roles(role.sid).fetch().permissions == ["sendMessage"]


def test_update_default_role_permissions(client, service, roles_by_name):
    role = roles_by_name(service.sid)["service user"]
    updated = _roles(client, service)(role.sid).update(permission=["createChannel"])
    assert updated.permissions == ["createChannel"]


def test_list_roles_paging(client, service):
    roles = _roles(client, service)
    mine = {roles.create(friendly_name=unique("r%d" % i), type="channel",
                         permission=["sendMessage"]).sid for i in range(3)}
    listed = roles.list(page_size=2)
    sids = [r.sid for r in listed]
    assert len(sids) == 7 and len(set(sids)) == 7
    assert mine <= set(sids)
    page = roles.page(page_size=2)
    assert page._payload["meta"]["key"] == "roles"
    assert len(list(page)) == 2
    assert len(list(page.next_page())) == 2


def test_fetch_unknown_role_404(client, service):
    assert_rest_error(_roles(client, service)("RL" + "0" * 32).fetch, 404, 20404)


def test_role_not_visible_from_other_service(client, service, service_factory):
    other = service_factory()
    role = _roles(client, service).create(friendly_name=unique("r"), type="channel",
                                          permission=["sendMessage"])
    assert_rest_error(_roles(client, other)(role.sid).fetch, 404, 20404)
    assert_rest_error(lambda: _roles(client, other)(role.sid).update(permission=["leaveChannel"]),
                      404, 20404)
    assert_rest_error(_roles(client, other)(role.sid).delete, 404, 20404)
    assert _roles(client, service)(role.sid).fetch().permissions == ["sendMessage"]


def test_delete_default_roles_refused(client, service):
    """The roles the service names as its defaults cannot be deleted."""
    failures = []
    defaults = {
        "default_service_role_sid": service.default_service_role_sid,
        "default_channel_role_sid": service.default_channel_role_sid,
        "default_channel_creator_role_sid": service.default_channel_creator_role_sid,
    }
    for name, sid in sorted(defaults.items()):
        role = _roles(client, service)(sid).fetch()
        try:
            _roles(client, service)(role.sid).delete()
            failures.append("%s: delete succeeded" % name)
            continue
        except TwilioRestException as err:
            if not (400 <= err.status < 500 and err.status != 404):
                failures.append("%s: HTTP %s code %s" % (name, err.status, err.code))
        _roles(client, service)(role.sid).fetch()  # still exists
    assert not failures, failures


def test_service_admin_role_can_be_deleted_when_not_a_default(client, service, roles_by_name):
    admin = roles_by_name(service.sid)["service admin"]
    assert _roles(client, service)(admin.sid).delete() is True
    assert_rest_error(_roles(client, service)(admin.sid).fetch, 404, 20404)


def test_delete_custom_role(client, service):
    roles = _roles(client, service)
    role = roles.create(friendly_name=unique("r"), type="deployment", permission=["joinChannel"])
    assert roles(role.sid).delete() is True
    assert_rest_error(roles(role.sid).fetch, 404, 20404)
    assert role.sid not in {r.sid for r in roles.list()}
