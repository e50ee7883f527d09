#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_html_report.sh — `genlab report --html DIR` on the store
# tests/report_fixture writes, looked at as a user would: headless Chromium
# (Debian's chromium) loads a run's page, its DOM must hold the tables,
# their rows and the images, and a screenshot must decode and show the page
# (enough drawn pixels; the sample grid's red where the page puts it). Also
# the site's files: index, sweep and run pages, SVG and PNG plots, the
# copied sample and the missing one named as missing, escaped text.
#
# Exits 77 (skipped) when chromium is not installed. Chromium itself runs
# natively in every CI variant: .sh tests run under the shell, never under
# valgrind (SH_LOG_COMPILER), and only genlab carries ASan.
#
# Environment: GENLAB, REPORT_FIXTURE, PNG_PROBE (default ./genlab,
# ./tests/report_fixture, ./tests/png_probe), CHROMIUM (default chromium),
# srcdir (the source tree).
#
# Sections: harness, site, chromium.
set -u

# ---- harness ----

cli_name=genlab-html
. "${srcdir:-.}/tests/cli_common.sh"
REPORT_FIXTURE=${REPORT_FIXTURE:-./tests/report_fixture}
PNG_PROBE=${PNG_PROBE:-./tests/png_probe}
CHROMIUM=${CHROMIUM:-chromium}
case $REPORT_FIXTURE in /*) ;; *) REPORT_FIXTURE=$PWD/$REPORT_FIXTURE ;; esac
case $PNG_PROBE in /*) ;; *) PNG_PROBE=$PWD/$PNG_PROBE ;; esac
export XDG_CONFIG_HOME=$tmp/noconfig
G=$GENLAB
db=$tmp/r.db site=$tmp/site
mkdir "$tmp/expect"
# the sample grid: 200x200 of pure red, easy to find in a screenshot
"$PNG_PROBE" --write "$tmp/sample.png" 200 200 255 0 0 &&
    "$REPORT_FIXTURE" "$db" "$tmp/expect" "$tmp/sample.png" ||
    { echo "Bail out! report_fixture failed"; exit 1; }

# ---- site ----

run $G report --db "$db" --html "$site"
check "report --html writes the site" eval 'rc_is 0 && out_has "index.html: 7 sweeps, 44 runs"'
check "index links the sweeps and runs" \
    eval 'grep -q "href=\"sweep-1.html\"" "$site/index.html" && grep -q "href=\"run-44.html\"" "$site/index.html"'
check "sweep page: points, scores as mean ± std, overlaid curves" \
    eval 'grep -q "<h2>points</h2>" "$site/sweep-1.html" && grep -q " ± " "$site/sweep-1.html" &&
          [ -s "$site/sweep-1-curves.svg" ] && [ -s "$site/sweep-1-score-1.png" ]'
check "run page: parameters, scores with the protocol, curves as SVG and PNG" \
    eval 'grep -q "<h2>parameters</h2>" "$site/run-1.html" && grep -q "inception-v3-tf" "$site/run-1.html" &&
          grep -q "src=\"run-1-curves.svg\"" "$site/run-1.html" && grep -q "href=\"run-1-curves.png\"" "$site/run-1.html"'
check "run page: the sample copied, the missing one named as missing" \
    eval 'cmp -s "$tmp/sample.png" "$site/files/run-1-1.png" &&
          grep -q "class=\"missing\">missing interpolation" "$site/run-1.html"'
run "$PNG_PROBE" "$site/run-1-curves.png"
check "run curves PNG decodes with drawn lines" eval 'rc_is 0 && [ "$(cut -d" " -f4 "$out")" -gt 300 ]'
check "no unescaped markup from the data (the JSON point's quotes)" \
    eval '! grep -q "{\"train.batch\"" "$site/sweep-1.html" && grep -q "{&quot;train.batch&quot;" "$site/sweep-1.html"'

# ---- chromium ----

if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
    echo "# chromium not installed (Debian: apt-get install chromium): skipping the browser checks"
    [ "$failed" -eq 0 ] || summary
    exit 77
fi
# chromium wants a writable home and profile; no GPU, no sandbox (CI runs as root)
export HOME=$tmp/home
mkdir -p "$HOME"
chrome() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$tmp/profile" --window-size=1200,1600 "$@" 2>"$tmp/chromium.err"
}
chrome --dump-dom "file://$site/run-1.html" >"$tmp/dom.html"
check "chromium: the DOM has the tables and their rows" \
    eval '[ "$(grep -o "<table>" "$tmp/dom.html" | wc -l)" -ge 4 ] && grep -q "<td>train.batch</td>" "$tmp/dom.html" &&
          grep -q "<td>fid</td>" "$tmp/dom.html"'
check "chromium: the DOM has the curves and the sample as img elements" \
    eval 'grep -q "<img src=\"run-1-curves.svg\"" "$tmp/dom.html" && grep -q "<img src=\"files/run-1-1.png\"" "$tmp/dom.html"'
chrome --screenshot="$tmp/shot.png" "file://$site/run-1.html" >/dev/null
run "$PNG_PROBE" "$tmp/shot.png"
# a rendered page of text, tables and plots covers far more than 2% of
# 1200x1600 with ink; the red sample (200x200 = 40000 pixels) alone is over
# 20000 coloured pixels even if the page cut it in half
check "chromium: the screenshot decodes, 1200x1600, not blank" \
    eval 'rc_is 0 && [ "$(cut -d" " -f1-2 "$out")" = "1200 1600" ] && [ "$(cut -d" " -f3 "$out")" -gt 40000 ]'
# the samples come right after the short parameter table: the red grid lies
# in the page's upper left, where the plots (lower down) are not
run "$PNG_PROBE" "$tmp/shot.png" 0 250 700 650
check "chromium: the red sample is drawn where the page puts it" \
    eval 'rc_is 0 && [ "$(cut -d" " -f4 "$out")" -gt 20000 ]'

summary
