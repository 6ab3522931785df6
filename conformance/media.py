"""Helpers of the media tests: Twilio's Media Content Service has no helper in twilio-python,
so uploads and downloads are plain HTTP (`requests`), as Twilio's docs show."""

import requests


def sample(n):
    """n bytes that are not text, so nothing along the way could have rewritten them."""
    return bytes((i * 7) % 251 for i in range(n))


def mcs(banter, service_sid, tail=""):
    return "%s/mcs/v1/Services/%s/Media%s" % (banter.url, service_sid, tail)


def upload(banter, service_sid, data, content_type, filename=None, auth=None, headers=None):
    """POSTs raw bytes to MCS (Basic auth as the operator unless `auth`/`headers` say otherwise)."""
    params = {"Filename": filename} if filename else None
    h = {"Content-Type": content_type, **(headers or {})}
    if auth is None and not headers:
        auth = (banter.account_sid, banter.auth_token)
    return requests.post(mcs(banter, service_sid), params=params, data=data, headers=h, auth=auth, timeout=60)


def fetch(banter, service_sid, media_sid, auth=None, headers=None):
    if auth is None and not headers:
        auth = (banter.account_sid, banter.auth_token)
    return requests.get(mcs(banter, service_sid, "/" + media_sid), auth=auth, headers=headers, timeout=30)


def download(url, **kwargs):
    """GETs a (signed) URL with no credentials."""
    return requests.get(url, timeout=60, **kwargs)
