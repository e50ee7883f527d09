#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_reports.sh — the shipped reports on a store tests/report_fixture
# writes (sweeps shaped like the seeds' tables, several seeds per point):
# each report's rows compared exactly with the rows the fixture computed on
# its own (mean and sample std in C); the refusal of mixed protocols; the
# views and the stdev aggregate; --pivot; the latex and html formats'
# escaping; the reports found by an uninstalled genlab; genlab plot's PNG
# (decoded with libpng: size and drawn pixels) and SVG (parsed as XML, one
# path per line at least), NaN gaps included.
#
# It is not a Check suite; its last line has the form of a Check summary so
# that .ci/run counts its checks like the suites'.
#
# Environment: GENLAB, REPORT_FIXTURE, PNG_PROBE (default ./genlab,
# ./tests/report_fixture, ./tests/png_probe), srcdir (the source tree).
#
# Sections: harness, shipped reports, views, formats, plots.
set -u

# ---- harness ----

cli_name=genlab-reports
. "${srcdir:-.}/tests/cli_common.sh"
REPORT_FIXTURE=${REPORT_FIXTURE:-./tests/report_fixture}
PNG_PROBE=${PNG_PROBE:-./tests/png_probe}
case $REPORT_FIXTURE in /*) ;; *) REPORT_FIXTURE=$PWD/$REPORT_FIXTURE ;; esac
case $PNG_PROBE in /*) ;; *) PNG_PROBE=$PWD/$PNG_PROBE ;; esac
# no user report directory: the reports come from the source tree
export XDG_CONFIG_HOME=$tmp/noconfig
G=$GENLAB
db=$tmp/r.db
mkdir "$tmp/expect"
"$PNG_PROBE" --write "$tmp/sample.png" 64 64 200 30 30 &&
    "$REPORT_FIXTURE" "$db" "$tmp/expect" "$tmp/sample.png" ||
    { echo "Bail out! report_fixture failed"; exit 1; }
same() { cmp -s "$1" "$2"; }
py() { python3 -c "$1" <"$out"; }

# ---- shipped reports ----

for r in batch-arch lr-arch beta1-arch gan-losses model-is-fid; do
    run $G report --db "$db" "$r" --format csv
    check "report $r: the rows computed independently" \
        eval 'rc_is 0 && same "$out" "$tmp/expect/$r.csv"'
done
run $G report --db "$db" lr-arch
check "report lr-arch (text): numeric columns sorted, an empty cell, the protocol stated" \
    eval 'rc_is 0 && head -n 1 "$out" | grep -q "arch  *lr=1e-4  *lr=5e-4  *lr=1e-2" &&
          out_has "score protocol: fid: inception-v3-tf, 500 generated images, reference cats-train"'
run $G report --db "$db" lr-arch --format csv
check "report --format csv: the protocol on stderr, not in the rows" \
    eval 'rc_is 0 && err_has "score protocol: fid" && out_lacks "protocol"'
run $G report --db "$db" batch-arch --pivot none --format csv
check "report --pivot none: the long rows" \
    eval 'rc_is 0 && head -n 1 "$out" | grep -q "^arch,batch,fid" && [ "$(wc -l <"$out")" -eq 6 ]'
run $G report --db "$db" samplers
check "report samplers still runs (no diffusion scores of samplers: no rows)" \
    eval 'rc_is 0 && out_has "(0 rows)"'
cp "$db" "$tmp/mixed.db"
"$REPORT_FIXTURE" --mixed fid "$tmp/mixed.db"
run $G report --db "$tmp/mixed.db" batch-arch
check "report: mixed protocols refused, naming what differs" \
    eval 'rc_is 1 && err_has "fid: n_samples differs (500, 1000)"'
run $G report --db "$db" batch-arch
check "report: the protocol note names only the metrics the report reads (-- metrics: fid)" \
    eval 'rc_is 0 && out_has "score protocol: fid:" && out_lacks "score protocol: is:"'
cp "$db" "$tmp/mixed-is.db"
"$REPORT_FIXTURE" --mixed is "$tmp/mixed-is.db"
run $G report --db "$tmp/mixed-is.db" batch-arch
check "report: mixed protocols of a metric it does not read do not refuse it" \
    eval 'rc_is 0 && out_has "score protocol: fid:"'
run $G report --db "$tmp/mixed-is.db" model-is-fid
check "report: ... but refuse the report that reads it (-- metrics: fid,is)" \
    eval 'rc_is 1 && err_has "is: n_samples differs"'
run $G report --db "$db" runs
check "report runs: found in the source tree by the uninstalled genlab" eval 'rc_is 0'
mkdir -p "$tmp/noconfig/genlab/reports"
printf -- "-- metrics: fid;x\nSELECT metric FROM scores;\n" > "$tmp/noconfig/genlab/reports/bad.sql"
run $G report --db "$db" bad
check "report: a '-- metrics:' name that is not one is refused, naming the report and the name" \
    eval "rc_is 1 && err_has \"report 'bad': '-- metrics: fid;x': 'fid;x' is not a metric name\""

# ---- views ----

run $G query --db "$db" --format csv \
    "SELECT stdev(x) FROM (SELECT 2.0 AS x UNION ALL SELECT 4 UNION ALL SELECT 9)"
# mean 5, squared deviations 9 + 1 + 16 = 26, sample variance 13
check "stdev: the sample standard deviation (sqrt(13))" \
    eval 'rc_is 0 && py "import sys, math; v = float(sys.stdin.read().split()[1]); sys.exit(abs(v - math.sqrt(13)) > 1e-12)"'
# one value: no spread; NULLs are not counted
run $G query --db "$db" --format csv "SELECT stdev(x) IS NULL, stdev(y) FROM (SELECT 1 AS x, NULL AS y UNION ALL SELECT NULL, 3 UNION ALL SELECT NULL, 5)"
check "stdev: NULL for one value, NULLs skipped" \
    eval 'rc_is 0 && [ "$(sed -n 2p "$out" | tr -d "\r")" = "1,1.4142135623731" ]'
run $G query --db "$db" --format csv "SELECT metric, n, runs FROM best_per_group WHERE trainer = 'gan' ORDER BY metric"
check "best_per_group: the gan configuration with the lowest mean FID and its seeds" \
    eval 'rc_is 0 && out_has "fid,3,"'
run $G query --db "$db" "SELECT count(*) FROM score_latest WHERE step <> 100"
check "score_latest: the last evaluation step only" eval 'rc_is 0 && grep -qE "^ *0$" "$out"'
run $G query --db "$db" --pivot trainer,metric,n \
    "SELECT trainer, metric, sum(n) AS n FROM score_by_config GROUP BY trainer, metric"
check "query --pivot: one column per metric" \
    eval 'rc_is 0 && head -n 1 "$out" | grep -q "trainer  *metric=fid  *metric=is"'
run $G query --db "$db" --pivot trainer,metric "SELECT 1"
check "query --pivot: a malformed spec is a usage error" eval 'rc_is 2 && err_has "ROW,COL,VALUE"'
run $G query --db "$db" --pivot a,b,c "SELECT 1 AS a, 2 AS b, 3 AS c UNION ALL SELECT 1, 2, 4"
check "query --pivot: two rows for one cell are refused" \
    eval 'rc_is 1 && err_has "two rows have the same row and column values (1, 2)"'
run $G query --db "$db" --pivot a,b,z "SELECT 1 AS a, 2 AS b"
check "query --pivot: a missing column is named" eval 'rc_is 1 && err_has "no column '"'z'"'"'

# ---- formats ----

q="SELECT 'a&b_%\$#{}~^\\' AS \"x_y\", 1.5 AS n, NULL AS z"
run $G query --db "$db" --format latex "$q"
check "latex: a booktabs tabular, the ten special characters escaped, numbers right" \
    eval 'rc_is 0 && out_has "\\begin{tabular}{lrl}" && out_has "\\toprule" &&
          out_has "x\\_y & n & z \\\\" && out_has "\\bottomrule" &&
          out_has "a\\&b\\_\\%\\\$\\#\\{\\}\\textasciitilde{}\\textasciicircum{}\\textbackslash{} & 1.5 &  \\\\"'
run $G query --db "$db" --format html "SELECT '<b>\"x\" & '' y' AS \"<h>\", 2 AS n"
check "html: a table element, markup escaped, numeric cells marked" \
    eval 'rc_is 0 && out_has "<th>&lt;h&gt;</th><th>n</th>" &&
          out_has "<td>&lt;b&gt;&quot;x&quot; &amp; &#39; y</td><td class=\"num\">2</td>"'
run $G query --db "$db" --format html "SELECT 'line1' || char(10) || 'line2' AS t"
check "html: a line break as <br>" eval 'rc_is 0 && out_has "line1<br>line2"'
run $G query --db "$db" --format text "SELECT 1 AS one"
check "text is the table format" eval 'rc_is 0 && out_has "one" && out_has "---"'
run $G report --db "$db" model-is-fid --format latex
check "report --format latex: the protocol as a comment" \
    eval 'rc_is 0 && out_has "% score protocol: fid: inception-v3-tf" && out_has "gan dcgan28 &"'

# ---- plots ----

run $G plot --db "$db" 1 2 3 --metric d_loss,g_loss --out "$tmp/curves.png"
check "plot: six lines of three runs" eval 'rc_is 0 && out_has "curves.png: 6 lines"'
run "$PNG_PROBE" "$tmp/curves.png"
# the default size; a line is at least a few hundred coloured pixels
check "plot PNG decodes, 720x450, with coloured lines" \
    eval 'rc_is 0 && [ "$(cut -d" " -f1-2 "$out")" = "720 450" ] && [ "$(cut -d" " -f4 "$out")" -gt 500 ]'
run $G plot --db "$db" $(seq 1 12) --out "$tmp/many.png"
check "plot: over 20 lines, the legend's cut is said" \
    eval 'rc_is 0 && out_has "many.png: 24 lines (the legend names the first 20)" &&
          "$PNG_PROBE" "$tmp/many.png" >/dev/null'
run $G plot --db "$db" --sweep losses --score fid --log-y --out "$tmp/fid.svg"
check "plot --sweep --score --log-y: an SVG" eval 'rc_is 0 && out_has "fid.svg: 9 lines"'
check "plot SVG parses as XML, an <svg> with a path per line" \
    python3 -c "
import sys, xml.etree.ElementTree as E
r = E.parse('$tmp/fid.svg').getroot()
paths = [e for e in r.iter() if e.tag.endswith('path')]
sys.exit(not (r.tag.endswith('svg') and len(paths) >= 9))"
run $G plot --db "$db" 1 --metric nosuch --out "$tmp/empty.png"
check "plot: no curve gives an empty plot and a warning, not a failure" \
    eval 'rc_is 0 && err_has "the plot is empty" && "$PNG_PROBE" "$tmp/empty.png" >/dev/null'
run $G plot --db "$db" 1 --out "$tmp/x.gif"
check "plot: another extension is refused" eval 'rc_is 1 && err_has "ends in .png or .svg"'
run $G plot --db "$db" --out "$tmp/x.png"
check "plot: no run is a usage error" eval 'rc_is 2 && err_has "missing RUN"'

summary
