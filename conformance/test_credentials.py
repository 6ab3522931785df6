"""Credentials (account-level push credentials)."""

import json
from datetime import datetime

from conftest import SID_RE, assert_rest_error, last_json, unique

CERT = "-----BEGIN CERTIFICATE-----\nMIIFnTCCBIWgAwIBAgIIAjy9H849+E8w\n-----END CERTIFICATE-----"
KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEAuyf/lNrH9ck8\n-----END RSA PRIVATE KEY-----"
SECRET_KEYS = {"certificate", "private_key", "secret", "api_key"}


def _raw(client):
    """Raw JSON body of the last response the client received."""
    return last_json(client)


def _check_no_secrets(obj):
    """obj: a raw credential dict."""
    assert not SECRET_KEYS & set(obj), obj
    raw = json.dumps(obj)
    for value in ("MIIFnTCC", "MIIEpQIB", "fcm-server-key", "gcm-api-key"):
        assert value not in raw, obj


def _no_secrets(client):
    _check_no_secrets(_raw(client))


def test_create_apn(client, banter, credential_factory, base_url):
    name = unique("apn cred")
    cred = credential_factory(type="apn", friendly_name=name, certificate=CERT,
                              private_key=KEY, sandbox=True)
    assert SID_RE["CR"].match(cred.sid)
    assert cred.account_sid == banter.account_sid
    assert cred.friendly_name == name
    assert cred.type == "apn"
    assert cred.sandbox == "True"
    assert isinstance(cred.date_created, datetime), repr(cred.date_created)
    assert isinstance(cred.date_updated, datetime), repr(cred.date_updated)
    assert cred.url == "%s/v2/Credentials/%s" % (base_url, cred.sid)
    _no_secrets(client)


def test_create_apn_sandbox_false(credential_factory):
    cred = credential_factory(type="apn", certificate=CERT, private_key=KEY, sandbox=False)
    assert cred.sandbox == "False"


def test_create_fcm(client, credential_factory):
    cred = credential_factory(type="fcm", secret="fcm-server-key")
    assert cred.type == "fcm"
    assert cred.sandbox is None
    raw = _raw(client)
    assert "sandbox" in raw and raw["sandbox"] is None
    _check_no_secrets(raw)


def test_create_gcm(client, credential_factory):
    cred = credential_factory(type="gcm", api_key="gcm-api-key")
    assert cred.type == "gcm"
    assert cred.sandbox is None
    raw = _raw(client)
    assert "sandbox" in raw and raw["sandbox"] is None
    _check_no_secrets(raw)


def test_create_unknown_or_missing_type_400(client):
    before = {c.sid for c in client.chat.v2.credentials.list()}
    assert_rest_error(lambda: client.chat.v2.credentials.create(type="sms", secret="x"), 400)
    assert_rest_error(lambda: client.chat.v2.credentials.create(type="", secret="x"), 400)
    assert {c.sid for c in client.chat.v2.credentials.list()} == before


def test_create_friendly_name_too_long_400(client):
    assert_rest_error(lambda: client.chat.v2.credentials.create(
        type="fcm", secret="x", friendly_name="n" * 65), 400)


def test_fetch_never_returns_secrets(client, credential_factory):
    cred = credential_factory(type="apn", certificate=CERT, private_key=KEY, sandbox=True)
    got = client.chat.v2.credentials(cred.sid).fetch()
    assert got.sid == cred.sid
    assert got.type == "apn"
    assert got.sandbox == "True"
    assert got.friendly_name == cred.friendly_name
    assert got.date_created == cred.date_created
    _no_secrets(client)


def test_update_friendly_name_and_sandbox(client, credential_factory):
    cred = credential_factory(type="apn", certificate=CERT, private_key=KEY, sandbox=True)
    ctx = client.chat.v2.credentials(cred.sid)
    updated = ctx.update(friendly_name="renamed cred")
    assert updated.friendly_name == "renamed cred"
    assert updated.sandbox == "True"
    assert updated.type == "apn"
    _no_secrets(client)
    updated = ctx.update(sandbox=False)
    assert updated.friendly_name == "renamed cred"
    assert updated.sandbox == "False"
    got = ctx.fetch()
    assert got.friendly_name == "renamed cred"
    assert got.sandbox == "False"


def test_update_secret_not_echoed(client, credential_factory):
    cred = credential_factory(type="fcm", secret="fcm-server-key")
    updated = client.chat.v2.credentials(cred.sid).update(secret="fcm-server-key-2")
    assert updated.type == "fcm"
    assert updated.friendly_name == cred.friendly_name
    _no_secrets(client)
    assert "fcm-server-key-2" not in client.http_client._test_only_last_response.text


def test_list_with_paging(client, credential_factory, base_url):
    mine = {credential_factory(type="fcm", secret="fcm-server-key").sid for _ in range(5)}
    listed = client.chat.v2.credentials.list(page_size=2)
    sids = [c.sid for c in listed]
    assert mine <= set(sids)
    assert len(sids) == len(set(sids))
    page = client.chat.v2.credentials.page(page_size=2)
    for obj in page._payload["credentials"]:
        _check_no_secrets(obj)
    meta = page._payload["meta"]
    assert meta["key"] == "credentials"
    assert meta["next_page_url"].startswith(base_url + "/v2/Credentials?")


def test_delete(client, credential_factory):
    cred = credential_factory(type="fcm", secret="fcm-server-key")
    assert client.chat.v2.credentials(cred.sid).delete() is True
    assert_rest_error(client.chat.v2.credentials(cred.sid).fetch, 404, 20404)
    assert_rest_error(client.chat.v2.credentials(cred.sid).delete, 404, 20404)
    assert cred.sid not in {c.sid for c in client.chat.v2.credentials.list()}


def test_fetch_unknown_credential_404(client):
    assert_rest_error(client.chat.v2.credentials("CR" + "0" * 32).fetch, 404, 20404)
    assert_rest_error(lambda: client.chat.v2.credentials("CR" + "0" * 32).update(
        friendly_name="x"), 404, 20404)
