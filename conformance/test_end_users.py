"""End users on the REST API: twilio-python acting with an Access Token (Banter's extension),
with Twilio's identity semantics and role permissions. The operator's client checks every
outcome through the same API."""

import subprocess
import time

import pytest
import requests

from access_tokens import node_token
from conftest import BANTER_BIN, assert_rest_error, list_error, unique
from end_users import EndUser, client_for_token, end_user, python_token


@pytest.fixture
def roles(svc):
    return {r.friendly_name: r for r in svc.roles.list()}


def test_first_request_creates_the_user_with_the_default_service_role(banter, service, svc):
    alice = end_user(banter, service.sid, unique("alice"))
    assert alice.svc.channels.list() == []
    user = svc.users(alice.identity).fetch()
    assert user.identity == alice.identity
    assert user.role_sid == service.default_service_role_sid
    # The same user on later requests.
    assert alice.svc.users(alice.identity).fetch().sid == user.sid


def test_token_in_x_twilio_token_header_and_node_minted_token(banter, service, svc):
    ch = svc.channels.create(friendly_name=unique("ch"))
    key = banter.create_key(banter.account_sid)
    jwt = python_token(banter, key, service.sid, unique("u"))
    url = "%s/v2/Services/%s/Channels/%s" % (banter.url, service.sid, ch.sid)
    r = requests.get(url, headers={"X-Twilio-Token": jwt}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["sid"] == ch.sid
    node_jwt = node_token(banter, key, service.sid, unique("n"))
    node = client_for_token(banter.url, banter.account_sid, node_jwt)
    assert node.chat.v2.services(service.sid).channels(ch.sid).fetch().sid == ch.sid


def test_bad_tokens_get_twilio_token_errors(banter, service, service_factory):
    key = banter.create_key(banter.account_sid)
    now = int(time.time())
    expired = python_token(banter, key, service.sid, "x", nbf=now - 7200, valid_until=now - 3600)
    svc = client_for_token(banter.url, banter.account_sid, expired).chat.v2.services(service.sid)
    assert_rest_error(lambda: svc.channels.create(friendly_name="x"), 401, 20104)
    garbage = client_for_token(banter.url, banter.account_sid, "not.a.token")
    assert_rest_error(lambda: garbage.chat.v2.services(service.sid).channels.create(), 401, 20101)
    # A token reaches only the service of its grant.
    other = service_factory()
    alice = end_user(banter, service.sid, unique("alice"))
    assert_rest_error(lambda: alice.client.chat.v2.services(other.sid).channels.create(),
                      403, 20403)


def test_deleting_the_api_key_revokes_its_tokens_at_once(banter, service):
    key = banter.create_key(banter.account_sid)
    alice = EndUser(banter, service.sid, unique("alice"), key=key)
    alice.svc.channels.create(friendly_name=unique("ch"))
    banter.delete_key(banter.account_sid, key[0])
    assert_rest_error(lambda: alice.svc.channels.create(friendly_name="after"), 401)


def test_operator_resources_are_refused_to_end_users(banter, service, svc):
    alice = end_user(banter, service.sid, unique("alice"))
    ch = svc.channels.create(friendly_name=unique("ch"))
    chat = alice.client.chat.v2
    for listing in (alice.svc.roles.list, alice.svc.bindings.list,
                    alice.svc.channels(ch.sid).webhooks.list):
        status, body = list_error(listing)
        assert (status, body["code"]) == (403, 20403), body
    assert_rest_error(lambda: alice.svc.channels(ch.sid).webhooks.create(
        type="webhook", configuration_url="http://127.0.0.1:9/x"), 403, 20403)
    assert_rest_error(lambda: chat.services.create(friendly_name="mine"), 403, 20403)
    assert_rest_error(lambda: chat.services(service.sid).update(friendly_name="x"), 403, 20403)
    assert_rest_error(lambda: alice.svc.roles.create(
        friendly_name="r", type="channel", permission=["sendMessage"]), 403, 20403)
    assert_rest_error(lambda: alice.svc.users.create(identity=unique("u")), 403, 20403)
    status, body = list_error(lambda: chat.credentials.list())
    assert (status, body["code"]) == (403, 20403), body


def test_client_channels_messages_and_roles_follow_twilio(banter, service, svc, roles):
    alice = end_user(banter, service.sid, unique("alice"))
    ch = alice.svc.channels.create(friendly_name=unique("ch"), created_by="mallory")
    assert ch.created_by == alice.identity
    # Creating does not join; joining makes the creator the channel creator role.
    assert svc.channels(ch.sid).members.list() == []
    me = alice.svc.channels(ch.sid).members.create(identity=alice.identity)
    assert me.role_sid == service.default_channel_creator_role_sid == roles["channel admin"].sid
    m = alice.svc.channels(ch.sid).messages.create(body="hi", from_="mallory")
    assert m._from == alice.identity
    assert svc.channels(ch.sid).messages(m.sid).fetch()._from == alice.identity
    # Another user joins with the default channel role and may not destroy the channel.
    bob = end_user(banter, service.sid, unique("bob"))
    assert bob.svc.channels(ch.sid).members.create(identity=bob.identity).role_sid == \
        roles["channel user"].sid
    assert_rest_error(lambda: bob.svc.channels(ch.sid).delete(), 403, 50107)
    assert_rest_error(lambda: bob.svc.channels(ch.sid).messages(m.sid).update(body="x"),
                      403, 50107)
    bob.svc.channels(ch.sid).messages.create(body="mine")
    alice.svc.channels(ch.sid).delete()
    assert_rest_error(lambda: svc.channels(ch.sid).fetch(), 404, 20404)


def test_private_channels_are_invisible_to_non_members(banter, service, svc):
    alice = end_user(banter, service.sid, unique("alice"))
    bob = end_user(banter, service.sid, unique("bob"))
    secret = alice.svc.channels.create(friendly_name=unique("secret"), type="private")
    alice.svc.channels(secret.sid).members.create(identity=alice.identity)
    public = svc.channels.create(friendly_name=unique("public"))
    assert_rest_error(lambda: bob.svc.channels(secret.sid).fetch(), 404, 20404)
    status, body = list_error(lambda: bob.svc.channels(secret.sid).messages.list())
    assert (status, body["code"]) == (404, 20404)
    both = ["public", "private"]
    assert [c.sid for c in bob.svc.channels.list(type=both)] == [public.sid]
    assert {c.sid for c in alice.svc.channels.list(type=both)} == {secret.sid, public.sid}
    assert [c.sid for c in alice.svc.channels.list(type="private")] == [secret.sid]
    # An invite makes it visible; joining makes its messages readable.
    alice.svc.channels(secret.sid).invites.create(identity=bob.identity)
    assert bob.svc.channels(secret.sid).fetch().sid == secret.sid
    assert [c.sid for c in bob.svc.channels.list(type="private")] == [secret.sid]
    bob.svc.channels(secret.sid).members.create(identity=bob.identity)
    assert bob.svc.channels(secret.sid).messages.list() == []


def test_a_user_sees_only_their_own_user_channels(banter, service, svc):
    alice = end_user(banter, service.sid, unique("alice"))
    bob = end_user(banter, service.sid, unique("bob"))
    ch = svc.channels.create(friendly_name=unique("ch"))
    svc.channels(ch.sid).members.create(identity=alice.identity)
    svc.users.create(identity=bob.identity)
    mine = alice.svc.users(alice.identity).user_channels.list()
    assert [uc.channel_sid for uc in mine] == [ch.sid]
    status, body = list_error(lambda: bob.svc.users(alice.identity).user_channels.list())
    assert (status, body["code"]) == (403, 50107), body
    assert_rest_error(lambda: alice.svc.users(bob.identity).update(friendly_name="x"), 403, 50107)
    assert alice.svc.users(alice.identity).update(friendly_name="Al").friendly_name == "Al"


def test_role_change_applies_on_the_next_request(banter, service, svc):
    alice = end_user(banter, service.sid, unique("alice"))
    role = svc.roles.create(friendly_name=unique("r"), type="deployment",
                            permission=["joinChannel"])
    svc.users.create(identity=alice.identity, role_sid=role.sid)
    assert_rest_error(lambda: alice.svc.channels.create(friendly_name="no"), 403, 50107)
    svc.roles(role.sid).update(permission=["joinChannel", "createChannel"])
    assert alice.svc.channels.create(friendly_name="yes").created_by == alice.identity


def test_cli_minted_token_acts_on_rest(banter, service, svc):
    key_sid, _ = banter.create_key(banter.account_sid)
    identity = unique("cli")
    out = run_cli_token(banter, service.sid, identity, key_sid)
    user = client_for_token(banter.url, banter.account_sid, out).chat.v2.services(service.sid)
    ch = user.channels.create(friendly_name=unique("ch"))
    assert svc.channels(ch.sid).fetch().created_by == identity


def run_cli_token(banter, service_sid, identity, key_sid):
    """`banter token …` prints the JWT on its own line."""
    proc = subprocess.run(
        [BANTER_BIN, "token", *banter.db_args, "--account", banter.account_sid,
         "--service", service_sid, "--identity", identity, "--key", key_sid],
        capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]

