"""Notebooks that make the kernel hold memory no process's own memory shows (socket buffers,
inodes), and the host's available memory watched from outside the sandbox: for
tests/grader/test_kernel_memory.py and benchmarks/kernel_memory.py."""
import threading

# The red team's notebook: two processes, each filling 200 AF_UNIX socket pairs with
# SO_SNDBUF raised to the host's maximum, written and never read.
SOCKETS = """
import os, socket, time
def fill(pairs):
    keep = []
    for _ in range(pairs):
        a, b = socket.socketpair()
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        a.setblocking(False)
        try:
            while True:
                a.send(b'x' * 65536)
        except BlockingIOError:
            keep.append((a, b))
    return keep
child = os.fork()
keep = fill(200)
if child == 0:
    time.sleep(600)
    os._exit(0)
os.waitpid(child, 0)
"""
# Empty files with long names: no block of the tmpfs, but an inode and a dentry each.
FILES = """
import os
os.makedirs('/tmp/many', exist_ok=True)
for i in range(1_000_000):
    open(f'/tmp/many/{i:0200d}', 'w').close()
"""
PREDICT = "import numpy as np\ndef predict(images):\n    return np.zeros(len(images), dtype=int)"


def mem_available_mb() -> float:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no MemAvailable in /proc/meminfo")


class LowestAvailable(threading.Thread):
    """The host's MemAvailable, sampled every 20 ms from outside the sandbox: the lowest seen."""

    def __init__(self):
        super().__init__(daemon=True)
        self.before = mem_available_mb()
        self.lowest = self.before
        self._done = threading.Event()

    def run(self):
        while not self._done.wait(0.02):
            self.lowest = min(self.lowest, mem_available_mb())

    def fall_mb(self) -> float:
        self._done.set()
        self.join()
        return self.before - self.lowest
