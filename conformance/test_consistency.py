"""Consistency under concurrency: gap-free message indexes and exact counters.

Each worker thread uses its own SDK Client (requests sessions are not shared between
threads). Every test has a fixed amount of work and a hard timeout.
"""

import threading
from concurrent.futures import ThreadPoolExecutor, wait

from twilio.base.exceptions import TwilioRestException

from conftest import make_client, unique

THREADS = 16
TIMEOUT = 120.0


def _run_concurrently(banter, service_sid, jobs):
    """Run jobs (callables taking a ServiceContext) on a pool of THREADS threads, each thread
    with its own Client. Returns the results in job order; exceptions are returned, not
    raised."""
    local = threading.local()

    def svc():
        if not hasattr(local, "svc"):
            c = make_client(banter.account_sid, banter.auth_token, banter.url)
            local.svc = c.chat.v2.services(service_sid)
        return local.svc

    def call(job):
        try:
            return job(svc())
        except Exception as exc:  # noqa: BLE001
            return exc

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(call, job) for job in jobs]
        done, not_done = wait(futures, timeout=TIMEOUT)
        assert not not_done, "%d of %d requests did not finish within %ss" % (
            len(not_done), len(futures), TIMEOUT)
        return [f.result() for f in futures]


def _errors(results):
    return [r for r in results if isinstance(r, Exception)]


def test_concurrent_message_creates_are_gap_free(banter, service, svc, channel):
    n = 200
    jobs = [(lambda s, i=i: s.channels(channel.sid).messages.create(body="m%d" % i,
                                                                     from_="u%d" % (i % 7)))
            for i in range(n)]
    results = _run_concurrently(banter, service.sid, jobs)
    errs = _errors(results)
    assert not errs, "%d creates failed, first: %r" % (len(errs), errs[0])
    indexes = sorted(m.index for m in results)
    assert indexes == list(range(n))
    assert len({m.sid for m in results}) == n
    assert svc.channels(channel.sid).fetch().messages_count == n
    listed = svc.channels(channel.sid).messages.list(page_size=100)
    assert [m.index for m in listed] == list(range(n))
    # the index matches the body that was sent in the same request
    by_sid = {m.sid: m.body for m in results}
    assert all(by_sid[m.sid] == m.body for m in listed)


def test_concurrent_messages_across_channels(banter, service, svc):
    chans = [svc.channels.create().sid for _ in range(4)]
    per = 25
    jobs = [(lambda s, c=c, i=i: s.channels(c).messages.create(body=str(i)))
            for i in range(per) for c in chans]
    results = _run_concurrently(banter, service.sid, jobs)
    assert not _errors(results), _errors(results)[0]
    for c in chans:
        idx = sorted(m.index for m in results if m.channel_sid == c)
        assert idx == list(range(per)), c
        assert svc.channels(c).fetch().messages_count == per


def test_concurrent_member_adds_and_removes_keep_counters(banter, service, svc):
    identities = [unique("cc%02d" % i) for i in range(20)]
    chans = [svc.channels.create().sid for _ in range(3)]
    adds = [(lambda s, c=c, i=i: s.channels(c).members.create(identity=i))
            for i in identities for c in chans]
    results = _run_concurrently(banter, service.sid, adds)
    errs = _errors(results)
    assert not errs, "%d adds failed, first: %r" % (len(errs), errs[0])

    removed = {(c, i) for ci, c in enumerate(chans) for ii, i in enumerate(identities)
               if (ci + ii) % 2 == 0}
    removes = [(lambda s, c=c, i=i: s.channels(c).members(i).delete()) for c, i in removed]
    results = _run_concurrently(banter, service.sid, removes)
    errs = _errors(results)
    assert not errs, "%d removes failed, first: %r" % (len(errs), errs[0])

    expected_members = {c: {i for i in identities if (c, i) not in removed} for c in chans}
    for c in chans:
        listed = svc.channels(c).members.list(page_size=100)
        assert {m.identity for m in listed} == expected_members[c]
        assert svc.channels(c).fetch().members_count == len(listed)
    for i in identities:
        in_channels = [c for c in chans if i in expected_members[c]]
        user = svc.users(i).fetch()
        assert user.joined_channels_count == len(in_channels), i
        assert sorted(uc.channel_sid for uc in svc.users(i).user_channels.list()) == \
            sorted(in_channels)


def test_concurrent_duplicate_member_adds_one_wins(banter, service, svc, channel):
    identity = unique("race")
    jobs = [(lambda s: s.channels(channel.sid).members.create(identity=identity))
            for _ in range(16)]
    results = _run_concurrently(banter, service.sid, jobs)
    ok = [r for r in results if not isinstance(r, Exception)]
    errs = _errors(results)
    assert len(ok) == 1, results
    assert all(isinstance(e, TwilioRestException) and e.status == 409 and e.code == 50404
               for e in errs), errs
    assert svc.channels(channel.sid).fetch().members_count == 1
    assert svc.users(identity).fetch().joined_channels_count == 1
    assert len(svc.users.list(page_size=100)) == 1  # the implicit user was created once


def test_concurrent_unique_name_one_wins(banter, service, svc):
    name = unique("race-ch")
    jobs = [(lambda s: s.channels.create(unique_name=name)) for _ in range(16)]
    results = _run_concurrently(banter, service.sid, jobs)
    ok = [r for r in results if not isinstance(r, Exception)]
    errs = _errors(results)
    assert len(ok) == 1, results
    assert all(isinstance(e, TwilioRestException) and e.status == 409 and e.code == 50307
               for e in errs), errs
    assert [c.sid for c in svc.channels.list()] == [ok[0].sid]


def test_concurrent_message_deletes_keep_count(banter, service, svc, channel):
    msgs = [svc.channels(channel.sid).messages.create(body=str(i)) for i in range(40)]
    doomed = msgs[::2]
    jobs = [(lambda s, m=m: s.channels(channel.sid).messages(m.sid).delete()) for m in doomed]
    results = _run_concurrently(banter, service.sid, jobs)
    assert not _errors(results), _errors(results)[0]
    listed = svc.channels(channel.sid).messages.list(page_size=100)
    assert [m.index for m in listed] == list(range(1, 40, 2))
    assert svc.channels(channel.sid).fetch().messages_count == 20
