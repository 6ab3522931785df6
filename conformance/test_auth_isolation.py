"""Authentication (account token, API keys, bad credentials) and account isolation."""

import secrets

import pytest

from conftest import (assert_rest_error, list_error, make_client, rest_error, unique,
                      wait_until)


# --------------------------------------------------------------------------- auth


def test_wrong_token_401_20003(banter, service):
    bad = make_client(banter.account_sid, "not-the-token", banter.url)
    assert_rest_error(bad.chat.v2.services(service.sid).fetch, 401, 20003)
    assert_rest_error(lambda: bad.chat.v2.services.create(friendly_name="x"), 401, 20003)
    assert_rest_error(lambda: bad.chat.v2.services(service.sid).update(friendly_name="x"),
                      401, 20003)
    assert_rest_error(bad.chat.v2.services(service.sid).delete, 401, 20003)


def test_wrong_token_on_list_401(banter):
    bad = make_client(banter.account_sid, "not-the-token", banter.url)
    status, body = list_error(bad.chat.v2.services.list)
    assert status == 401
    assert body is not None and body["code"] == 20003 and body["status"] == 401
    assert body["more_info"] == "https://www.twilio.com/docs/errors/20003"


def test_unknown_account_or_key_401(banter):
    bad = make_client("AC" + secrets.token_hex(16), banter.auth_token, banter.url)
    assert_rest_error(lambda: bad.chat.v2.services.create(friendly_name="x"), 401, 20003)
    bad = make_client("SK" + secrets.token_hex(16), "secret", banter.url,
                      account_sid=banter.account_sid)
    assert_rest_error(lambda: bad.chat.v2.services.create(friendly_name="x"), 401, 20003)


def test_other_accounts_token_does_not_work_for_main_account(banter, other_account):
    _, other_token = other_account
    bad = make_client(banter.account_sid, other_token, banter.url)
    assert_rest_error(lambda: bad.chat.v2.credentials.create(type="fcm", secret="x"), 401, 20003)


@pytest.fixture
def api_key(banter):
    sid, secret = banter.create_key(banter.account_sid)
    yield sid, secret
    try:
        banter.delete_key(banter.account_sid, sid)
    except Exception:  # noqa: BLE001
        pass


def test_api_key_sees_main_account_services(banter, client, service, api_key):
    key_sid, key_secret = api_key
    assert key_sid.startswith("SK") and len(key_sid) == 34
    kc = make_client(key_sid, key_secret, banter.url, account_sid=banter.account_sid)
    assert kc.chat.v2.services(service.sid).fetch().friendly_name == service.friendly_name
    assert service.sid in {s.sid for s in kc.chat.v2.services.list()}
    created = kc.chat.v2.services.create(friendly_name=unique("via key"))
    try:
        assert created.account_sid == banter.account_sid
        assert client.chat.v2.services(created.sid).fetch().sid == created.sid
    finally:
        client.chat.v2.services(created.sid).delete()


def test_api_key_wrong_secret_401(banter, service, api_key):
    key_sid, _ = api_key
    kc = make_client(key_sid, "wrong-secret", banter.url, account_sid=banter.account_sid)
    assert_rest_error(kc.chat.v2.services(service.sid).fetch, 401, 20003)


def test_deleted_api_key_rejected_within_3s(banter, service):
    key_sid, key_secret = banter.create_key(banter.account_sid)
    kc = make_client(key_sid, key_secret, banter.url, account_sid=banter.account_sid)
    assert kc.chat.v2.services(service.sid).fetch().sid == service.sid
    banter.delete_key(banter.account_sid, key_sid)

    def rejected():
        try:
            kc.chat.v2.services(service.sid).fetch()
        except Exception as exc:  # noqa: BLE001
            return getattr(exc, "status", None) == 401
        return False

    assert wait_until(rejected, timeout=3.0), "deleted API key still accepted after 3 s"
    err = rest_error(kc.chat.v2.services(service.sid).fetch)
    assert (err.status, err.code) == (401, 20003)


def test_api_key_of_other_account_cannot_see_main_service(banter, service, other_account):
    other_sid, _ = other_account
    key_sid, key_secret = banter.create_key(other_sid)
    try:
        kc = make_client(key_sid, key_secret, banter.url, account_sid=other_sid)
        assert_rest_error(kc.chat.v2.services(service.sid).fetch, 404, 20404)
    finally:
        banter.delete_key(other_sid, key_sid)


# --------------------------------------------------------------------------- isolation


def test_other_account_service_access_404(client, other_client, service):
    ctx = other_client.chat.v2.services(service.sid)
    assert_rest_error(ctx.fetch, 404, 20404)
    assert_rest_error(lambda: ctx.update(friendly_name="hijacked"), 404, 20404)
    assert_rest_error(ctx.delete, 404, 20404)
    assert client.chat.v2.services(service.sid).fetch().friendly_name == service.friendly_name


def test_other_account_role_access_404(client, other_client, service):
    role_sid = service.default_service_role_sid
    ctx = other_client.chat.v2.services(service.sid).roles(role_sid)
    assert_rest_error(ctx.fetch, 404, 20404)
    assert_rest_error(lambda: ctx.update(permission=["joinChannel"]), 404, 20404)
    assert_rest_error(ctx.delete, 404, 20404)
    assert_rest_error(lambda: other_client.chat.v2.services(service.sid).roles.create(
        friendly_name="x", type="channel", permission=["sendMessage"]), 404, 20404)
    role = client.chat.v2.services(service.sid).roles(role_sid).fetch()
    assert set(role.permissions) != {"joinChannel"}


def test_other_account_user_access_404(client, other_client, service):
    user = client.chat.v2.services(service.sid).users.create(identity=unique("victim"),
                                                             friendly_name="orig")
    users = other_client.chat.v2.services(service.sid).users
    for key in (user.sid, user.identity):
        assert_rest_error(users(key).fetch, 404, 20404)
        assert_rest_error(lambda: users(key).update(friendly_name="hijacked"), 404, 20404)
        assert_rest_error(users(key).delete, 404, 20404)
    assert_rest_error(lambda: users.create(identity=unique("intruder")), 404, 20404)
    assert client.chat.v2.services(service.sid).users(user.sid).fetch().friendly_name == "orig"


def test_other_account_credential_access_404(client, other_client, credential_factory):
    cred = credential_factory(type="fcm", secret="s")
    ctx = other_client.chat.v2.credentials(cred.sid)
    assert_rest_error(ctx.fetch, 404, 20404)
    assert_rest_error(lambda: ctx.update(friendly_name="hijacked"), 404, 20404)
    assert_rest_error(ctx.delete, 404, 20404)
    assert client.chat.v2.credentials(cred.sid).fetch().friendly_name == cred.friendly_name


def test_other_account_lists_exclude_main_account(client, other_client, service,
                                                  credential_factory):
    cred = credential_factory(type="fcm", secret="s")
    assert service.sid not in {s.sid for s in other_client.chat.v2.services.list()}
    assert cred.sid not in {c.sid for c in other_client.chat.v2.credentials.list()}


def test_other_account_list_of_main_service_children(other_client, service):
    status, body = list_error(other_client.chat.v2.services(service.sid).users.list)
    assert status == 404 and body["code"] == 20404
    status, body = list_error(other_client.chat.v2.services(service.sid).roles.list)
    assert status == 404 and body["code"] == 20404


def test_other_account_resources_invisible_to_main(client, other_client, other_account):
    svc = other_client.chat.v2.services.create(friendly_name=unique("theirs"))
    try:
        assert svc.account_sid == other_account[0]
        assert_rest_error(client.chat.v2.services(svc.sid).fetch, 404, 20404)
        assert svc.sid not in {s.sid for s in client.chat.v2.services.list()}
        assert svc.sid in {s.sid for s in other_client.chat.v2.services.list()}
    finally:
        other_client.chat.v2.services(svc.sid).delete()


# --------------------------------------------------------------------------- error shape


def test_error_body_shape(client):
    err = rest_error(client.chat.v2.services("IS" + "0" * 32).fetch)
    assert err.status == 404
    assert err.code == 20404
    assert err.method == "GET"
    assert "was not found" in err.msg
    assert "/v2/Services" not in err.msg


def test_list_of_unknown_service_children_404(client):
    status, body = list_error(client.chat.v2.services("IS" + "0" * 32).users.list)
    assert status == 404
    assert body["code"] == 20404
    assert body["status"] == 404
    assert body["more_info"] == "https://www.twilio.com/docs/errors/20404"
    assert "type" not in body or "title" not in body
