"""The sandbox's pid 1. Runs INSIDE the sandbox: python init.py COMMAND...

bubblewrap's own pid 1 showed its whole argument list (host paths, the host uid) in
/proc/1/cmdline and could be ptrace-stopped by the notebook, which hung the run until
its total limit. This one is started with `bwrap --as-pid-1`: its command line names
only paths inside the sandbox, it is non-dumpable (the notebook, same uid, cannot
ptrace it or read its memory), and it ignores the signals the notebook could send it
(the kernel delivers to a pid 1 only the signals it handles).

It starts COMMAND (the harness), reaps every orphan the notebook leaves, and exits
with the harness's status as soon as the harness ends: the kernel then kills whatever
is left in the sandbox's pid namespace.
"""
import ctypes
import os
import signal
import sys

PR_SET_DUMPABLE = 4


def main() -> int:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Python's KeyboardInterrupt handler would make SIGINT deliverable
    command = sys.argv[1:]
    child = os.fork()
    if child == 0:
        try:
            os.execv(command[0], command)
        finally:
            os._exit(127)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 1
        if pid == child:
            return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main())
