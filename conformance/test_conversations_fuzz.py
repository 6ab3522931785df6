"""Spec-driven fuzzing of the Conversations v1 API: schemathesis generates requests for every
operation of Twilio's official OpenAPI spec and sends them to a real `banter serve`.

Checks on every response: no server error (5xx); a documented (success) status has a body that
matches the spec's schema, with every field the schema lists present (Twilio renders `null` for
an unset field, so a missing field is a violation too); and any other status carries Twilio's
error JSON with an integer `code` and a `status` equal to the HTTP status. The spec documents
only success responses, so a 4xx with Twilio's error body is correct behaviour, not a finding.
A request that does not answer within 10 seconds fails the test (a hang).

Path parameters are real SIDs (a conversation, participant, message, webhook, user, role,
credential, address, binding and service made for each operation's test) about two times in
three, so the success responses are reached and checked, not only 404s.

Bodies get valid values for the parameters whose rules the spec does not express (JSON
`Attributes`, real permissions) one time in two, for the same reason.

The run is bounded and reproducible: a fixed seed, derandomized generation, no example database,
no shrinking, schemathesis's deterministic coverage cases (boundary values, missing and wrong-typed
parameters, unexpected methods) and then `FUZZ_EXAMPLES` generated examples per operation
(positive and negative). That is about one minute per backend on a two-core machine (SQLite a
little under, PostgreSQL a little over). `BANTER_FUZZ_EXAMPLES` and `BANTER_FUZZ_SEED` make a
longer or different local run.
"""

import itertools
import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from conftest import REPO, create_binding, make_client, unique

# The official spec lives beside the checkout (never copied into the repository).
SPEC = REPO.parent / "shared" / "spec" / "twilio_conversations_v1.json"
FUZZ_EXAMPLES = int(os.environ.get("BANTER_FUZZ_EXAMPLES", "25"))
FUZZ_SEED = int(os.environ.get("BANTER_FUZZ_SEED", "16"))
CHECKS = [not_a_server_error, response_schema_conformance]


def every_field_required(raw):
    """Marks every property of the spec's component schemas (the response bodies, with the
    objects nested in them, such as a list's `meta`) required.

    Twilio's responses carry every field the schema lists, `null` when unset, and the spec
    lists none as required; requiring them all turns a missing field into a violation."""

    def require(definition):
        if not isinstance(definition, dict):
            return
        properties = definition.get("properties")
        if definition.get("type") == "object" and properties:
            definition["required"] = sorted(properties)
            for inner in properties.values():
                require(inner)
        require(definition.get("items"))

    for definition in raw["components"]["schemas"].values():
        require(definition)
    return raw


def load_schema():
    if not SPEC.is_file():
        pytest.fail("the official spec must be readable at %s" % SPEC)
    raw = every_field_required(json.loads(SPEC.read_text()))
    config = schemathesis.Config.from_dict({
        "seed": FUZZ_SEED,
        "generation": {
            "mode": "all",
            "max-examples": FUZZ_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "no-shrink": True,
        },
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": True},
            "stateful": {"enabled": False},
        },
    })
    return schemathesis.openapi.from_dict(raw, config=config)


schema = load_schema()


# --------------------------------------------------------------------------- real SIDs

# The resource a `{Sid}` names, by the path segment before it; the named parameters name theirs.
SID_KINDS = {
    "Conversations": "conversation", "Participants": "participant", "Messages": "message",
    "Webhooks": "webhook", "Users": "user", "Roles": "role", "Credentials": "credential",
    "Addresses": "address", "Services": "service", "Bindings": "binding",
}
PARAM_KINDS = {
    "ChatServiceSid": "service", "ConversationSid": "conversation", "MessageSid": "message",
    "UserSid": "user",
}


class Seeds:
    """Real resources, made on first use for each operation's test (a test may delete them)."""

    def __init__(self, banter, client):
        self.banter = banter
        self.client = client
        self.made = {}

    def reset(self):
        self.made = {}

    def sids(self, scoped):
        """SIDs in the service named by path (`scoped`) or the account's default service."""
        key = "scoped" if scoped else "default"
        if key not in self.made:
            self.made[key] = self._make(scoped)
        return self.made[key]

    def _make(self, scoped):
        v1 = self.client.conversations.v1
        service = v1.services.create(friendly_name=unique("fuzz"))
        at = v1.services(service.sid) if scoped else v1
        conv = at.conversations.create(friendly_name=unique("c"), unique_name=unique("u"))
        convs = at.conversations(conv.sid)
        identity = unique("id")
        user = at.users.create(identity=identity)
        participant = convs.participants.create(identity=identity)
        message = convs.messages.create(author=identity, body="hello")
        webhook = convs.webhooks.create(target="webhook",
                                        configuration_url="https://example.com/hook")
        role = at.roles.create(friendly_name=unique("r"), type="conversation",
                               permission=["sendMessage"])
        credential = v1.credentials.create(type="fcm", secret="fuzz-secret")
        number = "+1555%07d" % (int(unique("n").split("-")[1], 16) % 10 ** 7)
        address = v1.address_configurations.create(type="sms", address=number)
        service_sid = service.sid if scoped else conv.chat_service_sid
        binding = create_binding(self.banter, service_sid, identity, unique("ep"), "fcm",
                                 credential_sid=credential.sid,
                                 account_sid=self.client.account_sid)
        return {
            "service": service.sid, "conversation": conv.sid, "participant": participant.sid,
            "message": message.sid, "webhook": webhook.sid, "user": user.sid, "role": role.sid,
            "credential": credential.sid, "address": address.sid, "binding": binding,
        }

    def path_parameters(self, path, generated):
        """`generated` with every parameter it can name replaced by a real SID."""
        sids = self.sids("{ChatServiceSid}" in path)
        segments = path.split("/")
        real = dict(generated)
        for name in generated:
            if name == "Sid":
                kind = SID_KINDS.get(segments[segments.index("{Sid}") - 1])
            else:
                kind = PARAM_KINDS.get(name)
            if kind is not None:
                real[name] = sids[kind]
        return real


SEEDS = None


@schema.hook("flatmap_path_parameters")
def real_sids(context, path_parameters):
    """Two times in three, the path names real resources."""
    if SEEDS is None or not path_parameters:
        return st.just(path_parameters)
    real = SEEDS.path_parameters(context.operation.path, path_parameters)
    return st.sampled_from([real, path_parameters, real])


IDENTITIES = itertools.count()


def repaired(path, body):
    """`body` with the values the spec types only as strings made valid (JSON `Attributes`, a
    real `Permission`, a role `Type`, a non-empty `FriendlyName`, a webhook target), a chat
    participant's `Identity` instead of a `MessagingBinding`, and no made-up `RoleSid`; so
    creates and updates get past validation and their success responses are checked too."""
    body = {k: v for k, v in body.items()
            if not str(k).startswith("MessagingBinding.") and k != "RoleSid"}
    last = path.split("/")[-1]
    fixes = {
        "Attributes": '{"fuzz": true}',
        "Permission": ["sendMessage"],
        "FriendlyName": "fuzz",
        "Target": "webhook",
        "Configuration.Url": "https://example.com/hook",
        "Configuration.Filters": ["onMessageAdded"],
    }
    if "/Roles" in path:
        fixes["Type"] = "conversation"
    for name, value in fixes.items():
        if name in body:
            body[name] = value
    if last == "Participants":
        body["Identity"] = "fuzz-%d" % next(IDENTITIES)
    if last == "Webhooks" and "/Conversations/" in path:
        body.update(Target="webhook", **{"Configuration.Url": "https://example.com/hook"})
    return body


@schema.hook("flatmap_body")
def valid_values(context, body):
    """One time in two, the body's free-form values are valid ones."""
    if not isinstance(body, dict):
        return st.just(body)
    return st.sampled_from([body, repaired(context.operation.path, body)])


@pytest.fixture(scope="session")
def fuzz_account(banter):
    """An account of its own: the fuzzer changes account-wide settings (the default service,
    default timers, webhooks) that the other tests on this server must not see."""
    return banter.create_account()


@pytest.fixture(scope="session")
def seeds(banter, fuzz_account):
    global SEEDS
    SEEDS = Seeds(banter, make_client(*fuzz_account, banter.url))
    yield SEEDS
    SEEDS = None


@pytest.fixture
def fresh_seeds(seeds):
    seeds.reset()
    return seeds


# --------------------------------------------------------------------------- the test


def assert_twilio_error(case, response):
    """A non-2xx response is Twilio's error JSON: integer `code`, `status` = the HTTP status."""
    if 200 <= response.status_code < 300:
        return
    where = "%s %s -> %s" % (case.method, case.formatted_path, response.status_code)
    try:
        body = response.json()
    except ValueError:
        pytest.fail("%s: not JSON: %r" % (where, response.text[:300]))
    assert isinstance(body, dict), "%s: %r" % (where, body)
    assert isinstance(body.get("code"), int) and not isinstance(body["code"], bool), \
        "%s: %r" % (where, body)
    assert body.get("status") == response.status_code, "%s: %r" % (where, body)


@schema.parametrize()
# The seeds are made again for each operation (reset by `fresh_seeds`), not for each example:
# an example may delete them, and the next ones then see 404s, which are checked too.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_conversations_fuzz(case, banter, fuzz_account, fresh_seeds):
    response = case.call(base_url=banter.url, auth=fuzz_account, timeout=10)
    case.validate_response(response, checks=CHECKS)
    assert_twilio_error(case, response)
