#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make install puts everything where a Debian daemon's files go (issue 6),
# under a scratch DESTDIR; make uninstall takes it all away again.
set -euo pipefail
: "${HAD_BUILDDIR:?}"
T=$(mktemp -d /tmp/had-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$HAD_BUILDDIR"
make -s install DESTDIR="$T/root" >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install"; }
# (Without the flags of the make that runs the tests: -w would add
# "Entering directory" lines.)
var() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory print-var VAR="$1"; }
prefix=$(var prefix) sbindir=$(var sbindir) bindir=$(var bindir) sysconfdir=$(var sysconfdir)
unitdir=$(var systemdsystemunitdir) completions=$(var bashcompletiondir) datadir=$(var datadir) mandir=$(var mandir)
for f in "$sbindir/had" "$bindir/hactl" "$unitdir/had.service" "$datadir/dbus-1/system.d/org.had1.conf" \
         "$sysconfdir/had/had.conf.example" "$prefix/lib/ocf/resource.d/had/pgsql" "$completions/hactl" \
         "$mandir/man8/had.8" "$mandir/man8/hactl.8" "$mandir/man5/had.conf.5" "$mandir/man7/had-agents.7" \
         "$datadir/doc/had/operations.md" "$datadir/doc/had/backups.md" "$prefix/lib/had/backup/dir-snapshot" \
         "$prefix/lib/had/backup/pg-basebackup" "$prefix/lib/had/backup/btrfs-snapshot" \
         "$prefix/lib/had/backup/lvm-snapshot"; do
        [ -e "$T/root$f" ] || fail "not installed: $f"
        echo "installed: $f"
done
[ -x "$T/root$sbindir/had" ] && [ -x "$T/root$prefix/lib/ocf/resource.d/had/pgsql" ] &&
        [ -x "$T/root$prefix/lib/had/backup/dir-snapshot" ] || fail "not executable"
# had looks for agent = NAME where they are installed.
s=$(strings "$T/root$sbindir/had")
[[ $s == *"$prefix/lib/had/backup"* ]] || fail "had does not look in $prefix/lib/had/backup"
grep -q "^ExecStart=$sbindir/had " "$T/root$unitdir/had.service" || fail "the unit does not start $sbindir/had"
grep -q "^ExecReload=" "$T/root$unitdir/had.service" || fail "the unit has no ExecReload"
# The completion loads and completes a command.
out=$(bash -c ". '$T/root$completions/hactl'; COMP_WORDS=(hactl rel); COMP_CWORD=1; _hactl; echo \${COMPREPLY[*]}")
[ "$out" = reload ] || fail "completion of 'hactl rel': '$out'"
make -s uninstall DESTDIR="$T/root" >"$T/uninstall.log" 2>&1 || { cat "$T/uninstall.log"; fail "make uninstall"; }
left=$(find "$T/root" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "PASS"
