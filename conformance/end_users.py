"""End users through twilio-python: Access Tokens minted by the SDK's ``AccessToken`` +
``ChatGrant``, and a twilio-python ``Client`` that presents one as ``Authorization: Bearer``
(Banter's REST extension for token holders) through the SDK's own ``credential_provider`` hook.

Such a client drives the same resource API (``client.chat.v2.services(...)``) as an operator's
client, so every request a test makes as an end user goes through the official SDK.

Not collected by pytest (no ``test_`` prefix); the test modules import what they use.
"""

from twilio.auth_strategy.token_auth_strategy import TokenAuthStrategy
from twilio.credential.credential_provider import CredentialProvider
from twilio.http.token_manager import TokenManager
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import ChatGrant
from twilio.rest import Client


def python_token(banter, key, service_sid, identity, **kwargs):
    """A token minted by twilio-python; key is (key_sid, key_secret)."""
    key_sid, key_secret = key
    token = AccessToken(banter.account_sid, key_sid, key_secret, identity=identity, **kwargs)
    token.add_grant(ChatGrant(service_sid=service_sid))
    jwt = token.to_jwt()
    return jwt.decode() if isinstance(jwt, bytes) else jwt


class _FixedToken(TokenManager):
    def __init__(self, jwt):
        self.jwt = jwt

    def fetch_access_token(self, version=None):
        return self.jwt


class AccessTokenProvider(CredentialProvider):
    """Makes twilio-python send ``Authorization: Bearer <jwt>`` instead of Basic auth."""

    def __init__(self, jwt):
        strategy = TokenAuthStrategy(_FixedToken(jwt))
        super().__init__(strategy.auth_type)
        self._strategy = strategy

    def to_auth_strategy(self):
        return self._strategy


def client_for_token(base_url, account_sid, jwt):
    """A twilio-python Client acting as the token's identity against Banter at base_url."""
    c = Client(account_sid=account_sid, credential_provider=AccessTokenProvider(jwt))
    c.edge = None
    c.region = None
    c.chat.base_url = base_url
    return c


_KEYS = {}


def signing_key(banter):
    """One API key per server (made with `banter key create`) signs the suite's tokens."""
    if banter.url not in _KEYS:
        _KEYS[banter.url] = banter.create_key(banter.account_sid)
    return _KEYS[banter.url]


class EndUser:
    """One identity of a service: its token and its twilio-python service context."""

    def __init__(self, banter, service_sid, identity, key=None):
        self.identity = identity
        self.key = key or signing_key(banter)
        self.jwt = python_token(banter, self.key, service_sid, identity)
        self.client = client_for_token(banter.url, banter.account_sid, self.jwt)
        self.svc = self.client.chat.v2.services(service_sid)


def end_user(banter, service_sid, identity):
    """An end user of service_sid (a new API key signs its token)."""
    return EndUser(banter, service_sid, identity)


