# SPDX-License-Identifier: MIT
#
# cli_common.sh — the harness test_cli.sh and test_cli_metrics.sh share,
# sourced (". tests/cli_common.sh") after setting cli_name (the temporary
# directory's name). It is not a test itself.
#
# It makes the programs' and trees' paths absolute (GENLAB, default
# ./genlab; PLUGIN_DIR, default ./tests/.libs; srcdir, default .), unsets
# GENLAB_DB, makes a temporary directory $tmp (removed on exit) and
# defines the checks: run CMD... (stdout in $out, stderr in $err, exit
# status in $rc), check DESC CMD... (one "ok N - DESC" or "not ok N -
# DESC" line, with the command's output after a failure), skip DESC WHY,
# summary (the Check-style last line .ci/run counts, then exit 1 if any
# check failed), and the predicates rc_is, out_has, out_lacks, err_has.
#
# Sections: paths, checks, predicates.

# ---- paths ----

srcdir=${srcdir:-.}
GENLAB=${GENLAB:-./genlab}
PLUGIN_DIR=${PLUGIN_DIR:-./tests/.libs}
case $GENLAB in /*) ;; *) GENLAB=$PWD/$GENLAB ;; esac
case $PLUGIN_DIR in /*) ;; *) PLUGIN_DIR=$PWD/$PLUGIN_DIR ;; esac
case $srcdir in /*) ;; *) srcdir=$PWD/$srcdir ;; esac
unset GENLAB_DB
tmp=$(mktemp -d "${TMPDIR:-/tmp}/$cli_name.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out err=$tmp/err
n=0 failed=0 rc=0

# ---- checks ----

# run CMD...: run it, stdout in $out, stderr in $err, exit status in $rc
run() { "$@" >"$out" 2>"$err"; rc=$?; }

# check DESC CMD...: a check that passes when CMD succeeds
check() {
    desc=$1; shift
    n=$((n + 1))
    if "$@"; then
        echo "ok $n - $desc"
    else
        failed=$((failed + 1))
        echo "not ok $n - $desc"
        echo "#   failed: $*; last exit status $rc"
        head -c 1500 "$out" | sed 's/^/#   stdout: /'
        head -c 1500 "$err" | sed 's/^/#   stderr: /'
    fi
}

skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# summary: the Check-style summary line, then exit (1 if any check failed)
summary() {
    echo "$(( (n - failed) * 100 / n ))%: Checks: $n, Failures: $failed, Errors: 0"
    [ "$failed" -eq 0 ]
    exit
}

# ---- predicates ----

rc_is() { [ "$rc" -eq "$1" ]; }
out_has() { grep -qF -- "$1" "$out"; }
out_lacks() { ! grep -qF -- "$1" "$out"; }
err_has() { grep -qF -- "$1" "$err"; }
