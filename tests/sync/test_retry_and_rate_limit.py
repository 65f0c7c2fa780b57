"""The retry policy and the token bucket, on a fake clock: no network, no sleeping."""

import random

import pytest

from lineage.rate_limit import TokenBucket
from lineage.retry import FailureKind, backoff_seconds, classify


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def fake_clock_bucket(rate: float, burst: int) -> tuple[TokenBucket, FakeClock]:
    """A token bucket on its own fake clock, which its waits advance."""
    clock = FakeClock()
    return TokenBucket(rate=rate, burst=burst, clock=clock, sleep=clock.sleep), clock


@pytest.mark.parametrize(("code", "status", "kind"), [
    ("Throttling.User", 429, FailureKind.THROTTLED),
    ("Throttling.Api", 400, FailureKind.THROTTLED),
    ("InternalError.System", 500, FailureKind.TRANSIENT),
    ("SignatureNonceUsed", 400, FailureKind.TRANSIENT),
    ("SignatureDoesNotMatch", 400, FailureKind.CREDENTIALS),
    ("InvalidAccessKeyId.NotFound", 404, FailureKind.CREDENTIALS),
    ("Forbidden.Access", 403, FailureKind.FORBIDDEN),
    ("InvalidTimeStamp.Expired", 400, FailureKind.CLOCK),
    ("InvalidParameter", 400, FailureKind.REJECTED),
    ("1234567890123", 400, FailureKind.REJECTED),
])
def test_failures_are_sorted_by_what_to_do(code, status, kind):
    failure = classify(code, status)
    assert failure.kind is kind
    assert failure.retryable == (kind in {FailureKind.THROTTLED, FailureKind.TRANSIENT})


def test_network_failures_are_transient():
    assert classify(None, None, "connection refused", network=True).kind is FailureKind.TRANSIENT


def test_retry_after_from_the_server_wins_over_backoff():
    failure = classify("Throttling.User", 429, retry_after_ms=2500)
    assert backoff_seconds(5, failure) == 2.5


def test_backoff_grows_exponentially_with_full_jitter_and_a_cap():
    failure = classify("InternalError.System", 500)
    rng = random.Random(7)
    ceilings = []
    for attempt in range(1, 12):
        delays = [backoff_seconds(attempt, failure, base=0.2, cap=10.0, rng=rng) for _ in range(200)]
        assert min(delays) >= 0
        ceilings.append(max(delays))
    assert ceilings[0] <= 0.2 and ceilings[2] <= 0.8
    assert ceilings[-1] <= 10.0 and ceilings[-1] > 5.0  # capped, yet jittered up to the cap
    assert len({round(d, 6) for d in delays}) > 100  # jitter: not one fixed value


def test_bucket_paces_calls_at_the_rate():
    bucket, clock = fake_clock_bucket(rate=50, burst=1)
    for _ in range(101):
        bucket.acquire()
    assert clock.now == pytest.approx(100 / 50)


def test_bucket_burst_then_steady_rate():
    bucket, clock = fake_clock_bucket(rate=10, burst=5)
    for _ in range(5):
        bucket.acquire()
    assert clock.now == 0.0
    for _ in range(10):
        bucket.acquire()
    assert clock.now == pytest.approx(1.0)


def test_pause_holds_every_caller_back():
    bucket, clock = fake_clock_bucket(rate=1000, burst=1)
    bucket.pause(3.0)
    bucket.acquire()
    assert clock.now == pytest.approx(3.0)


def test_bucket_rejects_a_non_positive_rate():
    with pytest.raises(ValueError):
        TokenBucket(rate=0)


def test_threads_throttled_in_one_congestion_event_cut_the_rate_once():
    bucket, clock = fake_clock_bucket(rate=100, burst=16)  # all sent at once
    epochs = [bucket.acquire() for _ in range(8)]  # eight requests in flight
    cuts = [bucket.throttled(epoch) for epoch in epochs]  # ... all throttled
    assert cuts == [True] + [False] * 7 and bucket.rate == 95  # one cut, gentle: nothing measured yet
    # right after a cut the server has nothing to grant yet: refusals then cut nothing ...
    after = [bucket.acquire() for _ in range(5)]
    assert not any(bucket.throttled(epoch) for epoch in after[:4]) and bucket.rate == 95
    # ... but they count: once settled, 5 refusals of 5 replies mean the rate is far too high: halved
    clock.now += 0.05
    assert bucket.throttled(after[4]) and bucket.rate == 47.5


def test_a_refusal_after_many_went_through_costs_little():
    bucket, clock = fake_clock_bucket(rate=100, burst=1)
    for _ in range(15):
        bucket.succeeded(bucket.acquire())
    bucket.throttled(bucket.acquire())
    assert bucket.rate == pytest.approx(93.75)  # 15 of the 16 replies went through: 15/16 of the rate


def saturate(bucket, clock, seconds: float, granted_share: float) -> None:
    """Callers always waiting for tokens for `seconds`; `granted_share` of their calls go through."""
    sent, through = 0, 0.0
    start = clock.now
    while clock.now - start < seconds:
        bucket.acquire()
        sent += 1
        if through + granted_share >= 1:
            through -= 1 - granted_share
            bucket.succeeded()
        else:
            through += granted_share


def test_far_above_the_quota_the_rate_drops_to_what_the_server_granted():
    bucket, clock = fake_clock_bucket(rate=100, burst=1)
    saturate(bucket, clock, 1.0, granted_share=0.6)  # the server let 60 calls a second through
    bucket.throttled(bucket.epoch)
    assert bucket.rate == pytest.approx(60, rel=0.05)


def test_a_cut_is_at_most_a_halving():
    bucket, clock = fake_clock_bucket(rate=100, burst=1)
    saturate(bucket, clock, 1.0, granted_share=0.1)
    bucket.throttled(bucket.epoch)
    assert bucket.rate == 50


def test_the_rate_grows_back_slowly_while_calls_succeed():
    bucket, clock = fake_clock_bucket(rate=100, burst=1)
    bucket.throttled(bucket.acquire())
    assert bucket.rate == 95
    for _ in range(95):  # one second of calls at the cut rate
        bucket.succeeded(bucket.acquire())
    assert 97 < bucket.rate < 98.5  # half the way back to where it was refused, not back at once
    for _ in range(6000):
        bucket.succeeded(bucket.acquire())
    assert bucket.rate == 100  # never above the configured rate


def test_a_cut_that_went_too_deep_recovers_fast():
    bucket, clock = fake_clock_bucket(rate=100, burst=1)
    saturate(bucket, clock, 1.0, granted_share=0.1)
    bucket.throttled(bucket.epoch)
    assert bucket.rate == 50
    start = clock.now
    while clock.now - start < 1.0:
        bucket.succeeded(bucket.acquire())
    assert 65 < bucket.rate < 78  # about half the gap to 100 closed in a second


def test_callers_held_back_by_a_pause_go_one_by_one_after_it():
    bucket, clock = fake_clock_bucket(rate=10, burst=5)
    bucket.pause(2.0)
    sends = []
    for _ in range(3):
        bucket.acquire()
        sends.append(clock.now)
    assert sends == pytest.approx([2.0, 2.1, 2.2])  # not a burst of 3 the moment the pause ends


def test_a_server_retry_after_holds_every_caller_back():
    bucket, clock = fake_clock_bucket(rate=1000, burst=1)
    bucket.throttled(bucket.acquire(), retry_after=2.0)
    bucket.acquire()
    assert clock.now == pytest.approx(2.0, abs=0.01)


def test_the_rate_never_drops_below_its_floor():
    bucket, clock = fake_clock_bucket(rate=64, burst=1)
    for _ in range(1000):
        bucket.throttled(bucket.acquire())
    assert bucket.rate == 1.0
