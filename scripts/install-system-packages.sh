#!/bin/sh
# Install the Debian packages the service needs, only when they are missing.
# Usage: scripts/install-system-packages.sh [--with-browser] [--with-bench] [--for-tests] [--for-reliability]
# Needs root (as on this project's machines and CI); otherwise it says what to install.
set -eu
missing=""
lean=""  # installed without their recommended packages (Prometheus would bring node exporters)
command -v bwrap >/dev/null 2>&1 || missing="$missing bubblewrap"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
command -v prlimit >/dev/null 2>&1 || missing="$missing util-linux"  # prlimit, taskset, ionice
# libseccomp's own Python bindings, for the system Python that compiles the sandbox's
# syscall filter (GRADER_SECCOMP_PYTHON): Debian keeps them matched to its libseccomp.
/usr/bin/python3 -c "import seccomp" >/dev/null 2>&1 || missing="$missing python3-seccomp"
for option in "$@"; do
    case "$option" in
        # Debian's chromium, driven by Playwright, for the browser tests only.
        --with-browser) command -v chromium >/dev/null 2>&1 || missing="$missing chromium" ;;
        # `make test`: nginx for the front's test (config/nginx), pg_dump and pg_restore for
        # the restore drill on PostgreSQL, Prometheus (and promtool) for the monitoring test.
        --for-tests)
            command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$missing nginx"
            command -v pg_dump >/dev/null 2>&1 || missing="$missing postgresql-client"
            command -v promtool >/dev/null 2>&1 || lean="$lean prometheus" ;;
        # wrk, the HTTP load generator benchmarks/web_latency.py measures saturation with.
        --with-bench) command -v wrk >/dev/null 2>&1 || missing="$missing wrk" ;;
        # `make reliability` runs worker hosts in network namespaces (iproute2's `ip netns`),
        # two with their clocks off (libfaketime), against a PostgreSQL cluster of its own
        # (initdb, pg_ctl, run as the postgres user with runuser).
        --for-reliability)
            command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
            command -v runuser >/dev/null 2>&1 || missing="$missing util-linux"
            ls /usr/lib/*/faketime/libfaketimeMT.so.1 >/dev/null 2>&1 || missing="$missing libfaketime"
            ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql" ;;
        *) echo "unknown option: $option" >&2; exit 2 ;;
    esac
done
# The kernel environment is built from the system Python and needs its venv module.
if [ -x /usr/bin/python3 ] && ! /usr/bin/python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
    missing="$missing python3-venv"
fi
[ -z "$missing$lean" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Please install these Debian packages:$missing$lean" >&2
    exit 1
fi
apt-get update -qq
# Packages that come with a service (nginx) must not start it: the tests start their own,
# on ports of their own, and this machine's port 80 is not ours to take.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy=1
fi
installed=0
{ [ -z "$missing" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; } &&
    { [ -z "$lean" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $lean >/dev/null; } ||
    installed=1
[ -n "$policy" ] && rm -f /usr/sbin/policy-rc.d
exit $installed
