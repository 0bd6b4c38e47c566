"""The call-count bench sets up as many connections as it prints figures for: its customers
must get past the hub's widget-session limit the way real visitors do (one address each)."""

from __future__ import annotations

from moto import mock_aws

from bench import ddb_calls
from chalicelib.platform.limits import LimitSettings


def test_the_call_count_bench_opens_more_customer_sessions_than_one_address_may() -> None:
    with ddb_calls.aws_environment(), mock_aws():
        hub = ddb_calls.Hub.create()
        wanted = LimitSettings().sessions_per_minute + 5  # the clock stands still: one window
        connections = [hub.connect_customer() for _ in range(wanted)]
        assert len(set(connections)) == wanted
        # Each is a bound customer connection the lane answers: a conversation opens for the last.
        assert hub.open(connections[-1])
