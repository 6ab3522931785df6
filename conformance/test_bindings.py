"""Service and user push bindings (created through the `banter binding create` CLI)."""

from datetime import datetime

import pytest

from conftest import SID_RE, assert_rest_error, create_binding, last_json, list_error

BINDING_KEYS = {"sid", "account_sid", "service_sid", "date_created", "date_updated",
                "endpoint", "identity", "binding_type", "credential_sid", "message_types",
                "url", "links"}
USER_BINDING_KEYS = (BINDING_KEYS - {"links"}) | {"user_sid"}

ALL_TYPES = {"new_message", "added_to_channel", "invited_to_channel", "removed_from_channel"}


@pytest.fixture
def bound(banter, service, svc, credential_factory):
    """Users alice and bob with an apn binding (alice) and an fcm binding (bob)."""
    alice = svc.users.create(identity="alice")
    bob = svc.users.create(identity="bob")
    apn = credential_factory(type="apn", certificate="-----BEGIN CERTIFICATE-----\nX\n"
                             "-----END CERTIFICATE-----",
                             private_key="-----BEGIN RSA PRIVATE KEY-----\nY\n"
                             "-----END RSA PRIVATE KEY-----")
    fcm = credential_factory(type="fcm", secret="fcm-secret")
    a = create_binding(banter, service.sid, "alice", "ep1", "apn", credential_sid=apn.sid,
                       message_types=["new_message", "added_to_channel"])
    b = create_binding(banter, service.sid, "bob", "ep2", "fcm", credential_sid=fcm.sid)
    return {"alice": alice, "bob": bob, "apn_cred": apn, "fcm_cred": fcm,
            "alice_bs": a, "bob_bs": b}


def test_cli_returns_binding_sid(bound):
    assert SID_RE["BS"].match(bound["alice_bs"]), bound["alice_bs"]
    assert SID_RE["BS"].match(bound["bob_bs"]), bound["bob_bs"]
    assert bound["alice_bs"] != bound["bob_bs"]


def test_list_service_bindings(client, banter, service, svc, bound, base_url):
    listed = {b.sid: b for b in svc.bindings.list()}
    raw = last_json(client)
    assert raw["meta"]["key"] == "bindings"
    assert all(set(b) == BINDING_KEYS for b in raw["bindings"]), raw["bindings"]
    assert set(listed) == {bound["alice_bs"], bound["bob_bs"]}
    a = listed[bound["alice_bs"]]
    assert a.account_sid == banter.account_sid
    assert a.service_sid == service.sid
    assert a.binding_type == "apn"
    assert a.endpoint == "ep1"
    assert a.identity == "alice"
    assert a.credential_sid == bound["apn_cred"].sid
    assert isinstance(a.message_types, list)
    assert sorted(a.message_types) == ["added_to_channel", "new_message"]
    assert isinstance(a.date_created, datetime), repr(a.date_created)
    svc_url = "%s/v2/Services/%s" % (base_url, service.sid)
    assert a.url == "%s/Bindings/%s" % (svc_url, a.sid)
    assert a.links == {"user": "%s/Users/alice" % svc_url}
    b = listed[bound["bob_bs"]]
    assert b.binding_type == "fcm"
    assert b.endpoint == "ep2"
    assert b.identity == "bob"
    assert b.credential_sid == bound["fcm_cred"].sid
    assert set(b.message_types) == ALL_TYPES  # all four when none given


def test_binding_type_filter(svc, bound):
    assert [b.sid for b in svc.bindings.list(binding_type=["apn"])] == [bound["alice_bs"]]
    assert [b.sid for b in svc.bindings.list(binding_type=["fcm"])] == [bound["bob_bs"]]
    assert svc.bindings.list(binding_type=["gcm"]) == []
    both = svc.bindings.list(binding_type=["apn", "fcm"])
    assert {b.sid for b in both} == {bound["alice_bs"], bound["bob_bs"]}


def test_identity_filter(svc, bound):
    assert [b.sid for b in svc.bindings.list(identity=["bob"])] == [bound["bob_bs"]]
    assert [b.sid for b in svc.bindings.list(identity=["alice"])] == [bound["alice_bs"]]
    assert svc.bindings.list(identity=["carol"]) == []
    assert svc.bindings.list(identity=["bob"], binding_type=["apn"]) == []
    assert len(svc.bindings.list(identity=["alice", "bob"])) == 2


def test_list_paging(banter, service, svc, bound):
    for i in range(3):
        create_binding(banter, service.sid, "alice", "extra%d" % i, "gcm")
    listed = svc.bindings.list(page_size=2)
    assert len(listed) == 5 and len({b.sid for b in listed}) == 5
    assert len(svc.bindings.list(binding_type=["gcm"], page_size=2)) == 3


def test_fetch_binding(svc, bound):
    b = svc.bindings(bound["bob_bs"]).fetch()
    assert b.sid == bound["bob_bs"]
    assert b.identity == "bob"
    assert b.binding_type == "fcm"
    assert b.endpoint == "ep2"
    assert_rest_error(svc.bindings("BS" + "0" * 32).fetch, 404, 20404)


def test_delete_binding(svc, bound):
    assert svc.bindings(bound["alice_bs"]).delete() is True
    assert_rest_error(svc.bindings(bound["alice_bs"]).fetch, 404, 20404)
    assert [b.sid for b in svc.bindings.list()] == [bound["bob_bs"]]
    assert svc.users("alice").user_bindings.list() == []
    assert_rest_error(svc.bindings(bound["alice_bs"]).delete, 404, 20404)


def test_user_bindings_list(client, service, svc, bound, base_url):
    for key in ("alice", bound["alice"].sid):
        listed = svc.users(key).user_bindings.list()
        raw = last_json(client)
        assert [set(b) for b in raw["bindings"]] == [USER_BINDING_KEYS]
        assert [b.sid for b in listed] == [bound["alice_bs"]]
        ub = listed[0]
        assert ub.user_sid == bound["alice"].sid
        assert ub.identity == "alice"
        assert ub.binding_type == "apn"
        assert ub.endpoint == "ep1"
        assert ub.credential_sid == bound["apn_cred"].sid
        assert ub.url == "%s/v2/Services/%s/Users/%s/Bindings/%s" % (
            base_url, service.sid, bound["alice"].sid, bound["alice_bs"])
    bobs = svc.users("bob").user_bindings.list()
    assert [b.sid for b in bobs] == [bound["bob_bs"]]
    assert bobs[0].user_sid == bound["bob"].sid


def test_user_bindings_type_filter(svc, bound):
    assert [b.sid for b in svc.users("alice").user_bindings.list(binding_type=["apn"])] == \
        [bound["alice_bs"]]
    assert svc.users("alice").user_bindings.list(binding_type=["fcm"]) == []


def test_user_binding_fetch(svc, bound):
    ub = svc.users("alice").user_bindings(bound["alice_bs"]).fetch()
    assert ub.sid == bound["alice_bs"]
    assert ub.user_sid == bound["alice"].sid
    assert sorted(ub.message_types) == ["added_to_channel", "new_message"]
    # another user's binding is not reachable through this user
    assert_rest_error(svc.users("alice").user_bindings(bound["bob_bs"]).fetch, 404, 20404)


def test_user_binding_delete(svc, bound):
    assert svc.users("bob").user_bindings(bound["bob_bs"]).delete() is True
    assert_rest_error(svc.users("bob").user_bindings(bound["bob_bs"]).fetch, 404, 20404)
    assert_rest_error(svc.bindings(bound["bob_bs"]).fetch, 404, 20404)
    assert svc.users("bob").user_bindings.list() == []
    assert [b.sid for b in svc.bindings.list()] == [bound["alice_bs"]]
    # alice cannot delete bob's binding through her own path
    assert_rest_error(svc.users("alice").user_bindings(bound["bob_bs"]).delete, 404, 20404)


def test_bindings_isolated_between_services(client, svc, bound, service_factory):
    other = client.chat.v2.services(service_factory().sid)
    assert other.bindings.list() == []
    assert_rest_error(other.bindings(bound["alice_bs"]).fetch, 404, 20404)


def test_other_account_cannot_see_bindings(other_client, svc, service, bound):
    other = other_client.chat.v2.services(service.sid)
    assert_rest_error(other.bindings(bound["alice_bs"]).fetch, 404, 20404)
    assert_rest_error(other.bindings(bound["alice_bs"]).delete, 404, 20404)
    status, _ = list_error(other.bindings.list)
    assert status == 404
    assert svc.bindings(bound["alice_bs"]).fetch().sid == bound["alice_bs"]
