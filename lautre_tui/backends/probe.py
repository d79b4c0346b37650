"""The status probe: one portable POSIX sh script built from a host's checks.

It is sent on stdin to `sh -s` over the host's open SSH connection, so that the
remote login shell never parses it and no temporary file is left behind. It reads
/proc and standard tools and falls back where one is missing (ss -> netstat ->
/proc/net/tcp, systemctl -> /etc/init.d, pidof -> ps -> /proc/*/comm). Nothing
from the layout is spliced into the library: values only reach it as quoted
arguments of the call lines (see `model.probe_format`).
"""

from __future__ import annotations

from collections.abc import Sequence

from lautre_tui.model.checks import Check
from lautre_tui.model.probe_format import BEGIN, END, MARKER, check_calls, format_call

REMOTE_COMMAND = "sh -s 2>/dev/null"  # errors of missing tools must not pile up unread

LIBRARY = r"""
LC_ALL=C; export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
have() { command -v "$1" >/dev/null 2>&1; }
say() {
    m=$(printf '%s' "$3" | tr '\r\n\t' '   ' | cut -c1-200)
    printf 'C %s %s %s\n' "$1" "$2" "$m"
}
figures() {
    if read -r l1 l5 l15 rest < /proc/loadavg; then echo "H load $l1 $l5 $l15"; fi
    if [ -r /proc/meminfo ]; then
        awk '/^MemTotal:/{t=$2} /^MemAvailable:/{a=$2} /^MemFree:/{f=$2}
             /^Buffers:/{b=$2} /^Cached:/{c=$2} /^SwapTotal:/{st=$2} /^SwapFree:/{sf=$2}
             END { if (a == "") a = f + b + c; print "H mem", t + 0, a + 0, st + 0, sf + 0 }' \
            /proc/meminfo
    fi
    if read -r up rest < /proc/uptime; then echo "H uptime ${up%.*}"; fi
    # local filesystems only: df on a dead NFS mount would hang the probe
    { df -P -k -l 2>/dev/null || df -P -k -t ext4 -t ext3 -t xfs 2>/dev/null; } |
        awk 'NR > 1 && $2 > 0 && $6 ~ /^\// { print "H disk", $6, $2, $3 }'
}
running() {
    if have pidof && pidof "$1" >/dev/null 2>&1; then return 0; fi
    if have ps && ps -e -o comm= 2>/dev/null | grep -qxF -- "$1"; then return 0; fi
    cat /proc/[0-9]*/comm 2>/dev/null | grep -qxF -- "$1"
}
c_process() {
    if running "$2"; then say "$1" OK "process $2 running"
    else say "$1" CRITICAL "process $2 not running"; fi
}
listening() {
    if have ss; then
        ss -ltn 2>/dev/null | awk '{print $4}' | grep -q "[:.]$1\$"; return
    fi
    if have netstat; then
        netstat -ltn 2>/dev/null | awk '{print $4}' | grep -q "[:.]$1\$"; return
    fi
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        awk -v p="$hex" '$4 == "0A" { n = split($2, a, ":"); if (a[n] == p) f = 1 } END { exit !f }'
}
c_port() {
    case "$2" in ''|*[!0-9]*) say "$1" UNKNOWN "bad port $2"; return;; esac
    if listening "$2"; then say "$1" OK "port $2 listening"
    else say "$1" CRITICAL "nothing listens on port $2"; fi
}
c_service() {
    case "$2" in ''|*[!A-Za-z0-9@._-]*) say "$1" UNKNOWN "bad service name $2"; return;; esac
    if have systemctl && [ -d /run/systemd/system ]; then
        if systemctl is-active --quiet "$2"; then say "$1" OK "$2 active"
        else say "$1" CRITICAL "$2 $(systemctl is-active "$2" 2>/dev/null)"; fi
    elif [ -x "/etc/init.d/$2" ]; then
        if "/etc/init.d/$2" status >/dev/null 2>&1; then say "$1" OK "$2 running"
        else say "$1" CRITICAL "/etc/init.d/$2 status: not running"; fi
    else
        say "$1" UNKNOWN "no systemd unit nor init script for $2"
    fi
}
c_mount() {
    fs=""
    while read -r src mp t rest; do
        if [ "$mp" = "$2" ]; then fs=$t; fi
    done < /proc/mounts
    if [ -z "$fs" ]; then say "$1" CRITICAL "$2 not mounted"
    elif [ -n "$3" ] && [ "$fs" != "$3" ]; then say "$1" CRITICAL "$2 is $fs, not $3"
    else say "$1" OK "$2 mounted ($fs)"; fi
}
c_file() {
    age=""
    if [ ! -e "$2" ]; then say "$1" CRITICAL "$2 missing"; return; fi
    m=$(stat -c %Y -- "$2" 2>/dev/null || date -r "$2" +%s 2>/dev/null)
    case "$m" in
        ''|*[!0-9]*) if [ -n "$3" ]; then say "$1" UNKNOWN "cannot read the age of $2"; return; fi;;
        *) echo "F $1 $(( $(date +%s) - m ))";;
    esac
    if [ -n "$3" ]; then
        age=$(( $(date +%s) - m ))
        if [ "$age" -gt "$3" ]; then say "$1" CRITICAL "$2 is ${age}s old (max $3s)"; return; fi
    fi
    if [ -n "$4" ] && ! grep -qF -- "$4" "$2" 2>/dev/null; then
        say "$1" CRITICAL "$2 does not contain $4"; return
    fi
    say "$1" OK "$2 present${age:+, ${age}s old}"
}
c_mdstat() {
    if [ ! -r /proc/mdstat ]; then say "$1" UNKNOWN "no /proc/mdstat"; return; fi
    if grep -q '\[[U_]*_[U_]*\]' /proc/mdstat; then
        say "$1" CRITICAL "degraded: $(grep -B1 '\[[U_]*_[U_]*\]' /proc/mdstat | head -n 1)"
    elif grep -q 'recovery\|resync' /proc/mdstat; then
        progress=$(grep -o '\(recovery\|resync\) *= *[0-9.]*%' /proc/mdstat | head -n 1)
        say "$1" WARNING "rebuilding: $progress"
    elif grep -q '^md' /proc/mdstat; then say "$1" OK "arrays clean"
    else say "$1" OK "no md array"; fi
}
c_ipvs() {
    if [ ! -r /proc/net/ip_vs ]; then
        say "$1" UNKNOWN "no /proc/net/ip_vs (ip_vs not loaded)"; return
    fi
    ip=${2%:*}; port=${2##*:}
    case "$port" in ''|*[!0-9]*) say "$1" UNKNOWN "bad virtual service $2"; return;; esac
    case "$ip" in ''|*[!0-9.]*) say "$1" UNKNOWN "bad virtual service $2"; return;; esac
    hexport=$(printf '%04X' "$port"); hexip=""
    if [ "$ip" != "0.0.0.0" ]; then
        old=$IFS; IFS=.; set -- "$1" "$2" "$3" $ip; IFS=$old
        hexip=$(printf '%02X%02X%02X%02X' "$4" "$5" "$6" "$7")
    fi
    n=$(awk -v ip="$hexip" -v port="$hexport" '
        /^(TCP|UDP|FWM)/ {
            split($2, a, ":"); on = (a[2] == port && (ip == "" || a[1] == ip)); v += on; next
        }
        /->/ && on { n++ }
        END { print (v ? n + 0 : -1) }' /proc/net/ip_vs)
    real="real servers"; [ "$n" -eq 1 ] && real="real server"
    [ "$n" -ge 0 ] && echo "F $1 $n"
    if [ "$n" -lt 0 ]; then say "$1" CRITICAL "no virtual service $2"
    elif [ "$n" -lt "$3" ]; then say "$1" CRITICAL "$2 has $n $real (needs $3)"
    else say "$1" OK "$2 has $n $real"; fi
}
c_command() {
    out=$(sh -c "$2" 2>&1 </dev/null); rc=$?
    case $rc in 0) s=OK;; 1) s=WARNING;; 2) s=CRITICAL;; *) s=UNKNOWN;; esac
    say "$1" "$s" "$(printf '%s\n' "$out" | head -n 1)"
}
"""


def probe_library() -> str:
    """The shell functions, sent once per connection to a long-lived `sh -s`."""
    return "\n".join(["#!/bin/sh", MARKER, LIBRARY.strip(), ""])


def probe_round(checks: Sequence[Check]) -> str:
    """One round: the figures and every check of the host, numbered in order."""
    calls = [
        format_call(call)
        for index, check in enumerate(checks)
        for call in check_calls(index, check)
    ]
    return "\n".join([f"echo {BEGIN!r}", "figures", *calls, f"echo {END!r}", ""])


def probe_script(checks: Sequence[Check]) -> str:
    """The whole script at once, for a one-off `sh -s` (tests, benchmarks)."""
    return probe_library() + probe_round(checks)
