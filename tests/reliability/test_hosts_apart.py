"""Worker hosts that are really apart: each in its own network namespace, reaching a private
PostgreSQL and a private Redis over TCP on a bridge of this run's own, with its own /tmp,
work root and sandbox uids, sharing only the media directory. Faults: a host vanishes, its
network is cut for a minute or for good, its clock is five minutes off, the database restarts."""
import os
import re
import sys
import time
from dataclasses import dataclass

import pytest

from tests.support.scenarios import FAST_RECOVERY, TRIVIAL, tally, wait_for_all
from tests.support.netns import Network, NetnsHost, PrivatePostgres, PrivateRedis, netns_unavailable
from tests.support.stack import Stack
from tests.support.summary import record

pytestmark = [pytest.mark.reliability,
              pytest.mark.skipif(netns_unavailable() is not None, reason=str(netns_unavailable()))]

CUT_S = int(os.environ.get("RELIABILITY_CUT_S", "60"))
CLOCK_OFF = "5m"


@dataclass
class Apart:
    network: Network
    postgres: PrivatePostgres
    redis: PrivateRedis
    stack: Stack

    def hosts(self, *names: str, concurrency: int = 1, clocks: dict | None = None) -> list[NetnsHost]:
        made = []
        for name in names:
            host = self.network.host(name)
            self.stack.start_worker(name, concurrency=concurrency, host=host,
                                    clock_offset=(clocks or {}).get(name, ""))
            made.append(host)
        return made

    def stored_by(self, *names: str) -> dict[str, int]:
        return {n: (self.stack.logs / f"{n}.log").read_text(errors="replace").count("stored result") for n in names}

    def wait_until_mid_job(self, name: str, timeout: float = 300) -> None:
        """Until the host has stored one result and is (very likely) inside its next job."""
        deadline = time.monotonic() + timeout
        while "stored result" not in self.stack.log(name):
            assert time.monotonic() < deadline, f"{name} stored nothing:\n{self.stack.log(name)}"
            time.sleep(0.5)
        time.sleep(1.5)


@pytest.fixture
def apart(tmp_path):
    network = Network()
    postgres = PrivatePostgres(network.server_address, str(network.subnet))
    redis = PrivateRedis(network.server_address)
    stack = None
    try:
        postgres.start()
        redis.start()
        stack = Stack(tmp_path, redis.url, database_url=postgres.url, **FAST_RECOVERY)
        stack.migrate_and_seed()
        yield Apart(network, postgres, redis, stack)
    finally:
        if stack is not None:
            stack.stop()
        network.close()
        redis.stop()
        postgres.stop()


def reachable(host: NetnsHost, address: str, port: int) -> bool:
    probe = f"import socket; socket.create_connection(({address!r}, {port}), timeout=3)"
    return host.run(sys.executable, "-c", probe).returncode == 0


def test_a_worker_host_that_vanishes_for_good(apart):
    host_a, host_b = apart.hosts("host-a", "host-b")
    # Apart for real: the database is on the bridge, and nothing answers on the host's loopback.
    assert reachable(host_a, apart.network.server_address, apart.postgres.port)
    assert not reachable(host_a, "127.0.0.1", apart.postgres.port)
    apart.stack.start_beat()
    ids = apart.stack.submit(16, TRIVIAL)
    apart.wait_until_mid_job("host-a")
    apart.stack.kill("host-a")
    statuses = wait_for_all(apart.stack, ids)
    lost, duplicated, stuck = tally(apart.stack, ids, statuses)
    by_host = apart.stored_by("host-a", "host-b")
    print(f"\nvanished host (network namespaces): host A stored {by_host['host-a']} then was killed for good, "
          f"host B {by_host['host-b']}; lost {len(lost)}, duplicated {duplicated}, stuck {len(stuck)}")
    record("worker host vanishes", 1, len(ids), len(lost), duplicated, len(stuck),
           f"netns hosts: A {by_host['host-a']} / B {by_host['host-b']} results")
    assert by_host["host-a"] > 0 and by_host["host-b"] > 0
    assert (lost, duplicated, stuck) == ([], 0, []), apart.stack.explain(lost + stuck)


def test_a_worker_hosts_network_cut_for_a_minute_in_the_middle_of_grading(apart):
    host_a, _ = apart.hosts("host-a", "host-b")
    apart.stack.start_beat()
    ids = apart.stack.submit(16, TRIVIAL)
    apart.wait_until_mid_job("host-a")
    before = apart.stored_by("host-a")["host-a"]
    host_a.cut()
    time.sleep(CUT_S)
    host_a.restore()
    ids += apart.stack.submit(4, TRIVIAL)  # work for host A once it is back
    statuses = wait_for_all(apart.stack, ids)
    lost, duplicated, stuck = tally(apart.stack, ids, statuses)
    by_host = apart.stored_by("host-a", "host-b")
    print(f"\nnetwork cut {CUT_S} s: host A stored {before} before the cut and {by_host['host-a'] - before} after it, "
          f"host B {by_host['host-b']}; lost {len(lost)}, duplicated {duplicated}, stuck {len(stuck)}")
    record(f"host network cut {CUT_S} s", 1, len(ids), len(lost), duplicated, len(stuck),
           f"A {before} before / {by_host['host-a'] - before} after, B {by_host['host-b']}")
    assert before > 0 and by_host["host-b"] > 0
    assert (lost, duplicated, stuck) == ([], 0, []), apart.stack.explain(lost + stuck)


def test_a_worker_hosts_network_cut_for_good(apart):
    host_a, _ = apart.hosts("host-a", "host-b")
    apart.stack.start_beat()
    ids = apart.stack.submit(16, TRIVIAL)
    apart.wait_until_mid_job("host-a")
    host_a.cut()  # the worker keeps running, alone, and never comes back
    statuses = wait_for_all(apart.stack, ids)
    lost, duplicated, stuck = tally(apart.stack, ids, statuses)
    by_host = apart.stored_by("host-a", "host-b")
    print(f"\nnetwork cut for good: host A stored {by_host['host-a']}, host B {by_host['host-b']}; "
          f"lost {len(lost)}, duplicated {duplicated}, stuck {len(stuck)}")
    record("host network cut for good", 1, len(ids), len(lost), duplicated, len(stuck),
           f"A {by_host['host-a']} / B {by_host['host-b']} results")
    assert by_host["host-a"] > 0 and by_host["host-b"] > 0
    assert (lost, duplicated, stuck) == ([], 0, []), apart.stack.explain(lost + stuck)


def test_worker_hosts_whose_clocks_are_five_minutes_off(apart):
    """Host A's clock is 5 minutes slow, host B's 5 minutes fast, and each runs the sweeper in
    turn (beat sends it to any worker). A live job must never look silent, nor a silent one
    alive: heartbeats and the sweeper's checks use the database's clock."""
    host_a, host_b = apart.hosts("host-a", "host-b", clocks={"host-a": f"-{CLOCK_OFF}", "host-b": f"+{CLOCK_OFF}"})
    skew = [host.clock_offset_s(offset) for host, offset in ((host_a, f"-{CLOCK_OFF}"), (host_b, f"+{CLOCK_OFF}"))]
    apart.stack.start_beat()
    ids = apart.stack.submit(16, TRIVIAL)
    statuses = wait_for_all(apart.stack, ids)
    lost, duplicated, stuck = tally(apart.stack, ids, statuses)
    by_host = apart.stored_by("host-a", "host-b")
    # Only live jobs taken for dead count here: the sweeper also resends messages that merely
    # waited in the broker longer than FAST_RECOVERY's 5 s, which has nothing to do with clocks.
    requeued = sum(int(n) for host in ("host-a", "host-b") for n in
                   re.findall(r"(\d+) whose worker went silent", (apart.stack.logs / f"{host}.log").read_text()))
    attempts = apart.stack.manage("shell", "-c", "from coursework.models import Submission as S; "
                                                 "from django.db.models import Max; "
                                                 "print(S.objects.aggregate(m=Max('attempts'))['m'])").split()[-1]
    print(f"\nclocks off by {skew[0]:+.0f} s (A) and {skew[1]:+.0f} s (B): A stored {by_host['host-a']}, B {by_host['host-b']}; "
          f"live jobs taken for dead: {requeued}; most runs of one notebook: {attempts}; lost {len(lost)}, "
          f"duplicated {duplicated}, stuck {len(stuck)}")
    record("host clocks 5 min off", 1, len(ids), len(lost), duplicated, len(stuck),
           f"A {by_host['host-a']} / B {by_host['host-b']}, {requeued} live jobs taken for dead")
    assert skew[0] < -290 and skew[1] > 290  # the hosts' clocks really were off
    assert by_host["host-a"] > 0 and by_host["host-b"] > 0
    assert requeued == 0 and attempts == "1"
    assert (lost, duplicated, stuck) == ([], 0, []), apart.stack.explain(lost + stuck)


def test_postgresql_restarts_in_the_middle_of_grading(apart):
    apart.hosts("host-a", "host-b")
    apart.stack.start_beat()
    ids = apart.stack.submit(20, TRIVIAL)
    apart.wait_until_mid_job("host-a")
    started = time.monotonic()
    apart.postgres.restart()  # this run's own cluster, never the machine's
    restart_s = time.monotonic() - started
    statuses = wait_for_all(apart.stack, ids)
    lost, duplicated, stuck = tally(apart.stack, ids, statuses)
    # Runs begun again because of the restart (a job retried, a row taken for silent): each
    # costs a whole notebook's run; workers that reconnect need none.
    logs = "".join(apart.stack.log_text(name) for name in ("host-a", "host-b", "beat"))
    again = len(re.findall(r"Retry in \d+s", logs)) + sum(
        int(n) for n in re.findall(r"(\d+) whose worker went silent", logs))
    print(f"\nprivate postgresql restart ({restart_s:.1f} s) during grading on two namespaced hosts: {len(ids)} "
          f"submissions, lost {len(lost)}, duplicated {duplicated}, stuck {len(stuck)}, runs begun again {again}")
    record("postgresql restart", 1, len(ids), len(lost), duplicated, len(stuck),
           f"restart took {restart_s:.1f} s, {again} runs begun again")
    assert (lost, duplicated, stuck) == ([], 0, []), apart.stack.explain(lost + stuck)
