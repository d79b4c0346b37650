#!/bin/sh
# Set up a fresh Debian machine for the test suite and run it: system packages
# the tests talk to (a real OpenSSH sshd and client, dash and busybox for the
# probe, Debian's ser2net and socat for the console tests, Icinga 2 and the
# monitoring plugins for the Icinga tests), a virtualenv with
# the project and its test extras, then the checks.
# Works where the system Python refuses `pip install` (PEP 668): all goes in .venv.
set -eu
cd "$(dirname "$0")/.."

need=""
[ -x /usr/sbin/sshd ] || need="$need openssh-server"
command -v ssh >/dev/null 2>&1 || need="$need openssh-client"
command -v dash >/dev/null 2>&1 || need="$need dash"
command -v busybox >/dev/null 2>&1 || need="$need busybox"
command -v ping >/dev/null 2>&1 || need="$need iputils-ping"
command -v tmux >/dev/null 2>&1 || need="$need tmux"
command -v ser2net >/dev/null 2>&1 || need="$need ser2net"
command -v socat >/dev/null 2>&1 || need="$need socat"
command -v icinga2 >/dev/null 2>&1 || [ -x /usr/sbin/icinga2 ] || need="$need icinga2-bin"
[ -x /usr/lib/nagios/plugins/check_tcp ] || need="$need monitoring-plugins-basic"
python3 -c 'import ensurepip' 2>/dev/null || need="$need python3-venv"
if [ -n "$need" ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

.venv/bin/ruff check lautre_tui tests benchmarks scripts
.venv/bin/mypy
.venv/bin/lint-imports
# independent tests on every core (-n auto), the slowest ten printed
.venv/bin/python -m pytest -n auto --durations=10 "$@"
