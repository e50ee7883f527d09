#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_cli.sh — drives the built genlab program on small stores written by
# tests/cli_fixture: runs in every format, --where, show, query, report,
# db merge; train and plugins on the test plugins (success, configuration
# errors, a NaN loss, SIGINT, the plugin guide's example); help and usage
# errors, missing databases, progress output and the man page. Prints one "ok N - ..." or "not ok N - ..." line per check
# (with the command's output after a failure) and exits 1 if any failed.
#
# It is not a Check suite; its last line has the form of a Check summary so
# that .ci/run counts its checks like the suites'.
#
# Environment: GENLAB, CLI_FIXTURE (the programs; default ./genlab and
# ./tests/cli_fixture, as make check runs it from the build directory),
# PLUGIN_DIR (the test plugins, default ./tests/.libs), GAN_DIR (the GAN
# plugin, default ./plugins/gan/.libs), CC (for the plugin
# guide's example; default cc), srcdir (the source tree, for the reports,
# the man page and the guide's example).
#
# Sections: harness, stores, runs, show, query, report, db merge, train and
# plugins, usage, missing database, progress, man page.
set -u

# ---- harness ----

cli_name=genlab-cli
. "${srcdir:-.}/tests/cli_common.sh"
CLI_FIXTURE=${CLI_FIXTURE:-./tests/cli_fixture}
case $CLI_FIXTURE in /*) ;; *) CLI_FIXTURE=$PWD/$CLI_FIXTURE ;; esac
unset GENLAB_PLUGIN_PATH

# exactly one line on stderr before the usage lines
one_line_error() { [ "$(grep -c -v -e '^usage: ' -e '^       ' -e "^Try 'genlab" "$err")" -eq 1 ]; }
have() { command -v "$1" >/dev/null 2>&1; }
py() { python3 -c "$1" <"$out"; }

# ---- stores ----

db=$tmp/f.db
"$CLI_FIXTURE" "$db" >"$tmp/uuids" || { echo "Bail out! cli_fixture failed"; exit 1; }
uuid1=$(sed -n 1p "$tmp/uuids") uuid3=$(sed -n 3p "$tmp/uuids")
# 64 runs: an ambiguous one-character prefix that is not also a run id (0 or
# a-f). Eight of the 64 starting with one of those 7 characters force two to
# share it; fewer than 8 has a chance of about 1e-7 (then the check skips).
"$CLI_FIXTURE" --bare 64 "$tmp/bare.db" >"$tmp/bare_uuids" || { echo "Bail out! cli_fixture --bare failed"; exit 1; }
dup=$(cut -c1 "$tmp/bare_uuids" | grep '[0a-f]' | sort | uniq -d | head -n 1)
# the user's report directory: the shipped reports and one of the user's own
mkdir -p "$tmp/config/genlab/reports"
cp "$srcdir"/db/reports/*.sql "$tmp/config/genlab/reports/"
echo "SELECT count(*) AS n_runs FROM runs;" >"$tmp/config/genlab/reports/mine.sql"
XDG_CONFIG_HOME=$tmp/config; export XDG_CONFIG_HOME
G=$GENLAB

# ---- runs ----

run $G runs --db "$db"
check "runs: table exits 0" rc_is 0
check "runs: table has a header, a rule and 4 runs" [ "$(wc -l <"$out")" -eq 6 ]
check "runs: table shows the names as they are" out_has 'baseline, "v1"'

run $G runs --db "$db" --format csv
check "runs --format csv exits 0" rc_is 0
check "csv: a value with a comma and quotes is quoted, quotes doubled" \
    out_has ',"baseline, ""v1""",'
check "csv: every line ends in CR LF" [ "$(grep -c "$(printf '\r')\$" "$out")" -eq 5 ]
if have python3; then
    check "csv: python's csv module reads the value back" py '
import csv, sys
rows = list(csv.reader(sys.stdin))
assert rows[0][:3] == ["id", "uuid", "name"], rows[0]
assert rows[4][2] == "baseline, \"v1\"", rows[4]
assert len(rows) == 5'
else
    skip "csv: python's csv module reads the value back" "no python3"
fi

run $G runs --db "$db" --format markdown
check "runs --format markdown exits 0" rc_is 0
check "markdown: | inside a value is escaped" out_has 'pipe\|name'
# every line has 10 unescaped pipes: 9 columns
check "markdown: every line has the same cells" \
    [ "$(sed 's/\\|//g' "$out" | awk -F'|' '{ print NF }' | sort -u)" = 11 ]
check "markdown: the second line is the delimiter row" \
    [ "$(sed -n 2p "$out" | tr -d '|: -')" = "" ]

run $G runs --db "$db" --format json
check "runs --format json exits 0" rc_is 0
if have python3; then
    check "json: parses, 4 objects, NULL as null, quotes intact" py '
import json, sys
d = json.load(sys.stdin)
assert len(d) == 4 and [r["id"] for r in d] == ["4", "3", "2", "1"], d
assert d[0]["name"] is None and d[3]["name"] == "baseline, \"v1\"", d'
else
    skip "json: parses, 4 objects, NULL as null, quotes intact" "no python3"
fi

run $G runs --db "$db" --where "trainer = 'vae'" --format csv
check "--where filters runs" eval 'rc_is 0 && [ "$(wc -l <"$out")" -eq 2 ] && out_has "vae try"'
run $G runs --db "$db" --where "trainer = 'gan' AND id <= 2"
check "key params: those that differ are shown, shared ones are not" \
    eval 'rc_is 0 && out_has "optim.lr=2e-4" && out_lacks "arch="'
run $G runs --db "$db" --where "status = 'failed' -- a trailing comment"
check "--where may end in an SQL comment" eval 'rc_is 0 && out_has "vae try"'
run $G runs --db "$db" --where "nosuch = 1"
check "--where with an unknown column: exit 1, SQLite's message" \
    eval 'rc_is 1 && err_has "no such column: nosuch"'
run $G runs --db "$db" --where "1)) SELECT 1; DELETE FROM runs; WITH sel AS (SELECT * FROM runs WHERE (1"
check "--where cannot write: an injected DELETE is refused" eval 'rc_is 1 && err_has "refused"'
run $G query --db "$db" "SELECT count(*) AS n FROM runs" --format csv
check "... and every run is still there" out_has "4"
run $G runs --db "$db" --where "id = 99"
check "runs: no match prints (0 rows)" eval 'rc_is 0 && out_has "(0 rows)"'

# ---- show ----

run $G show --db "$db" 1
check "show by id: the run, params, last metrics, scores, artifacts" \
    eval 'rc_is 0 && out_has "$uuid1" && out_has "optim.lr" && out_has "loss_g" &&
          out_has "31.25" && out_has "inception-v3-tf" && out_has "checkpoint"'
check "show: the last value of a metric, with its step" grep -qE '^loss_g +20 +22\.0 +3$' "$out"
run $G show --db "$db" "$(echo "$uuid3" | cut -c1-6)"
check "show by uuid prefix" eval 'rc_is 0 && out_has "loss is NaN at step 5"'
run $G show --db "$db" "$(echo "$uuid3" | cut -c1-8 | tr a-f A-F)"
check "show: a prefix in upper case" eval 'rc_is 0 && out_has "$uuid3"'
if [ -n "$dup" ]; then
    run $G show --db "$tmp/bare.db" "$dup"
    check "show: an ambiguous prefix fails and lists the runs" \
        eval 'rc_is 1 && err_has "ambiguous" && [ "$(grep -c "^  [0-9]" "$err")" -ge 2 ]'
else
    skip "show: an ambiguous prefix fails and lists the runs" "no shared first character"
fi
run $G show --db "$db" 00000000-0000
check "show: no such run: exit 1" eval 'rc_is 1 && err_has "no run has id or uuid prefix"'
run $G show --db "$db" "x'; --"
check "show: RUN that is no id or uuid is a usage error" rc_is 2

# ---- query ----

run $G query --db "$db" "SELECT name FROM runs WHERE id = 2" --format json
check "query: SELECT" eval 'rc_is 0 && out_has "\"pipe|name\""'
run $G query --db "$db" "INSERT INTO runs (uuid, trainer, started, host, pid, genlab_version) VALUES ('u', 't', 's', 'h', 1, 'v')"
check "query: INSERT is refused with exit 1 and a message" \
    eval 'rc_is 1 && err_has "refused" && err_has "read-only"'
run $G query --db "$db" "SELECT count(*) FROM runs"
check "... and nothing was written" out_has "4"
run $G query --db "$db" "SELEC 1"
check "query: an SQL error shows SQLite's message" eval 'rc_is 1 && err_has "syntax error"'
run $G query --db "$db" "SELECT 1 AS a; SELECT 2 AS b, 3 AS c" --format csv
check "query: two statements give two result sets" \
    [ "$(tr -d '\r' <"$out" | tr '\n' ' ')" = "a 1  b,c 2,3 " ]

# ---- report ----

run $G report --db "$db" runs
check "report runs" eval 'rc_is 0 && out_has "loss is NaN at step 5"'
run $G report --db "$db" best_scores --format csv
check "report best_scores: the best FID of the GAN" \
    eval 'rc_is 0 && grep -q "^gan,fid,31.25," "$out"'
run $G report --db "$db" mine
check "report: the user's own report directory" eval 'rc_is 0 && grep -qE "^ +4$" "$out"'
run $G report --db "$db" nosuch
check "report: an unknown report lists the available ones" \
    eval 'rc_is 1 && err_has "no report '"'nosuch'"'" && err_has "best_scores" && err_has "mine"'
run $G report --help
check "report --help lists the reports found" eval 'rc_is 0 && out_has "mine.sql"'

# ---- db merge ----

run $G db merge "$tmp/m.db" "$db" "$tmp/bare.db"
check "db merge: all runs added" eval 'rc_is 0 && out_has "68 runs added, 0 skipped"'
run $G db merge "$tmp/m.db" "$db" "$tmp/bare.db"
check "db merge again: nothing added (idempotent)" eval 'rc_is 0 && out_has "0 runs added, 68 skipped"'
run $G query --db "$tmp/m.db" "SELECT count(*) AS n FROM runs" --format csv
check "... the merged store has 68 runs" grep -q "^68" "$out"
run $G db merge "$tmp/m.db" "$tmp/absent.db"
check "db merge: a missing input fails, named" eval 'rc_is 1 && err_has "absent.db"'

# ---- train and plugins ----

# The mock plugin of `make check` (and the broken ones beside it, which
# must only cause warnings) on GENLAB_PLUGIN_PATH.
if [ -f "$PLUGIN_DIR/mock_plugin.so" ]; then
    GP=$PLUGIN_DIR
    tdb=$tmp/train.db
    # nruns: the number of runs in $tdb (0 when it does not exist)
    nruns() { [ -f "$tdb" ] && "$G" query --db "$tdb" --format csv "SELECT count(*) FROM runs" |
              tr -d '\r' | sed -n 2p || echo 0; }

    run env GENLAB_PLUGIN_PATH="$GP" $G plugins
    check "plugins: lists the mock's components, exit 0" \
        eval 'rc_is 0 && grep -qE "^trainer +mock +mock +1\.2\.3 +a GAN-shaped step" "$out" &&
              grep -qE "^dataset +mock" "$out"'
    check "plugins: a plugin that fails to load is a warning naming its file" \
        eval 'err_has "warning: " && err_has "broken_abi.so" && err_has "incompatible ABI"'
    run env GENLAB_PLUGIN_PATH="$GP" $G plugins --kind loss --format csv
    check "plugins --kind loss: loss components only" \
        eval 'rc_is 0 && out_has "loss,mock,mock,1.2.3," &&
              [ "$(tr -d "\r" <"$out" | sed 1d | grep -cv "^loss,")" -eq 0 ]'
    run env GENLAB_PLUGIN_PATH="$GP" $G plugins --kind nosuch
    check "plugins --kind nosuch: exit 2, the kinds listed" eval 'rc_is 2 && err_has "trainer, arch"'
    run env GENLAB_PLUGIN_PATH="$GP" $G plugins show mock --kind trainer
    check "plugins show: parameters with type, default, range and help" \
        eval 'rc_is 0 && grep -qE "^n_critic +int +2 +\[1, 10\] +critic updates" "$out" &&
              grep -qE "^loss +component +mock +loss name: .*mock" "$out" &&
              out_has "train.trainer (keys mock.*)"'
    run env GENLAB_PLUGIN_PATH="$GP" $G plugins show nosuch
    check "plugins show: an unknown name fails, listing the known ones" \
        eval 'rc_is 1 && err_has "no component named '"'nosuch'"' (known: " && err_has "mock"'

    run env GENLAB_PLUGIN_PATH="$GP" $G train --db "$tdb" train.trainer=mock train.dataset=mock \
        train.steps=30 train.log_every=10 "train.name=cli run"
    check "train: exit 0, the uuid first, a summary last" \
        eval 'rc_is 0 && grep -qE "^run [0-9a-f-]{36} \(id 1 in .*train.db\): trainer mock, 30 steps$" "$out" &&
              tail -n 1 "$out" | grep -qE "^run [0-9a-f-]{36} completed: 30 steps in .*logging"'
    check "train: progress lines on stderr" grep -q "^mock step 30/30 loss" "$err"
    run $G query --db "$tdb" --format csv \
        "SELECT status, trainer, name, (SELECT count(*) FROM params), (SELECT count(*) FROM metrics WHERE key = 'd_loss') FROM runs"
    check "train: the run, its parameters and its curves are in the store" \
        eval 'tr -d "\r" <"$out" | grep -qE "^completed,mock,cli run,4[0-9],4$"'

    run env GENLAB_PLUGIN_PATH="$GP" $G train --db "$tdb" train.trainer=mock mock.n_crtic=3 \
        train.steps=x
    check "train: configuration problems: exit 2, one message, \"did you mean\"" \
        eval 'rc_is 2 && err_has "2 problems in the configuration:" &&
              err_has "unknown key \"mock.n_crtic\"; did you mean \"mock.n_critic\"?" &&
              err_has "train.steps = \"x\": expected an integer" && [ ! -s "$out" ]'
    check "... and no run was written" [ "$(nruns)" = 1 ]
    run env GENLAB_PLUGIN_PATH="$GP" $G train --db "$tmp/none2.db" train.trainer=nosuch
    check "train: an unknown trainer lists the known ones; no store created" \
        eval 'rc_is 2 && err_has "no trainer named \"nosuch\" (known: " && err_has "mock" && [ ! -e "$tmp/none2.db" ]'

    printf '[train]\ntrainer = mock\ndataset = mock\nsteps = 5\n[mock]\nn_critic = 1\n' >"$tmp/exp.ini"
    run env GENLAB_PLUGIN_PATH="$GP" $G train --config "$tmp/exp.ini" --db "$tdb" train.steps=7
    check "train --config: the file's values, the command line winning" \
        eval 'rc_is 0 && out_has "completed: 7 steps"'
    run $G query --db "$tdb" --format csv "SELECT value FROM params WHERE key = 'mock.n_critic' AND run_id = 2"
    check "... mock.n_critic from the file's [mock] section" eval 'tr -d "\r" <"$out" | grep -qx 1'

    run env GENLAB_PLUGIN_PATH="$GP" $G train --db "$tdb" train.trainer=mock train.dataset=mock \
        train.steps=10 mock.nan_at=4
    check "train: a NaN loss fails the run: exit 1, the metric and step named" \
        eval 'rc_is 1 && err_has "failed after 4 steps: step 4: metric \"d_loss\" is nan"'

    # a long run stopped by SIGINT once it has started
    env GENLAB_PLUGIN_PATH="$GP" $G train --db "$tdb" train.trainer=mock train.dataset=mock \
        train.steps=1000000000 train.log_every=100 >"$out" 2>"$err" &
    pid=$!
    i=0
    while [ $i -lt 200 ] && ! grep -q "^run " "$out"; do sleep 0.05; i=$((i + 1)); done
    sleep 0.2
    kill -INT "$pid"
    # a program that ignored the signal would run for hours: give it 20 s
    i=0
    while [ $i -lt 200 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    wait "$pid"; rc=$?
    check "train: SIGINT stops the run: exit 130, said so" \
        eval 'rc_is 130 && grep -qE "^run [0-9a-f-]{36} interrupted after [0-9]+ of 1000000000 steps" "$out"'
    run $G query --db "$tdb" --format csv \
        "SELECT status, error_code, (SELECT count(*) > 0 FROM metrics WHERE run_id = runs.id) FROM runs ORDER BY id DESC LIMIT 1"
    check "... the run is interrupted, its curves written" \
        eval 'tr -d "\r" <"$out" | grep -qx "interrupted,12,1"'

    # a GAN run killed with SIGKILL (no clean stop, no last checkpoint) once
    # its first checkpoint is recorded, then resumed: it ends with the
    # tensors of the same run left alone, byte for byte
    kdb=$tmp/kill.db
    # kq SQL: the first value of a query on $kdb ("" when it fails: busy)
    kq() { "$G" query --db "$kdb" --format csv "$1" 2>/dev/null | tr -d '\r' | sed -n 2p; }
    # same_tensors A B: two checkpoints hold the same tensors (names, dtypes,
    # shapes, bytes); the metadata (run uuid, config) may differ
    same_tensors() {
        python3 - "$1" "$2" <<'PY'
import json, struct, sys
def tensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    head = json.loads(data[8:8 + n])
    head.pop("__metadata__", None)
    return {k: (v["dtype"], v["shape"], data[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]])
            for k, v in head.items()}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
bad = [k for k in a if a[k] != b.get(k)] + [k for k in b if k not in a]
print("%d tensors, %d differ: %s" % (len(a), len(bad), " ".join(sorted(bad)[:5])))
sys.exit(1 if bad or not a else 0)
PY
    }
    # (tiny DCGANs: batch norm in G and dropout in D, 1,500 steps of about 8 ms)
    gan_args="train.trainer=gan train.dataset=mock dataset.size=28 dataset.noise=0.3 \
        gan.generator=dcgan28 gan.discriminator=dcgan28 generator.ngf=4 discriminator.ndf=4 \
        gan.z_dim=8 gan.ema=0.9 gan.sample_every=0 train.batch=8 train.steps=1500 \
        train.log_every=100 train.ckpt_every=100"
    env GENLAB_PLUGIN_PATH="$GP" $G train --db "$kdb" $gan_args >"$out" 2>"$err" &
    pid=$!
    i=0
    while [ $i -lt 300 ] && [ "$(kq "SELECT count(*) FROM artifacts WHERE kind = 'checkpoint'")" != 1 ]; do
        sleep 0.1; i=$((i + 1))
    done
    kill -KILL "$pid"
    wait "$pid"; rc=$?
    killed=$(sed -n 's/^run \([0-9a-f-]*\) (id 1 .*/\1/p' "$out")
    check "train gan killed by SIGKILL after its first checkpoint: exit 137, unfinished" \
        eval 'rc_is 137 && [ -n "$killed" ] && out_lacks "completed"'
    run env GENLAB_PLUGIN_PATH="$GP" $G train --db "$kdb" --resume "$killed"
    check "train --resume of the killed run: from its checkpoint to the end" \
        eval 'rc_is 0 && out_has "resuming run $killed from " && out_has "completed: 1500 steps"'
    check "... the killed run is marked interrupted, the new one continues it" \
        eval '[ "$(kq "SELECT status FROM runs WHERE id = 1")" = interrupted ] &&
              [ "$(kq "SELECT parent_uuid FROM runs WHERE id = 2")" = "$killed" ]'
    run env GENLAB_PLUGIN_PATH="$GP" $G train --db "$kdb" $gan_args
    check "the same run uninterrupted completes" eval 'rc_is 0 && out_has "completed: 1500 steps"'
    last_ckpt="SELECT path FROM artifacts WHERE kind = 'checkpoint' AND run_id ="
    run same_tensors "$(kq "$last_ckpt 2 ORDER BY id DESC")" "$(kq "$last_ckpt 3 ORDER BY id DESC")"
    check "... and the resumed run ends with its tensors, byte for byte" eval 'rc_is 0'

    # sampling the finished run's model: PNGs of the asked size, the seed
    # choosing the latents
    # png_size FILE: "width height" from the PNG's IHDR
    png_size() { python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print(*struct.unpack(">II", d[16:24]))' "$1"; }
    run env GENLAB_PLUGIN_PATH="$GP" $G sample 3 --db "$kdb" -n 6 --seed 4 --out "$tmp/s1.png"
    check "sample: 6 images in a 3 x 2 grid of 28-pixel cells" \
        eval 'rc_is 0 && out_has "wrote $tmp/s1.png: run " && [ "$(png_size "$tmp/s1.png")" = "92 62" ]'
    env GENLAB_PLUGIN_PATH="$GP" $G sample 3 --db "$kdb" -n 6 --seed 4 --out "$tmp/s2.png" >/dev/null 2>&1
    env GENLAB_PLUGIN_PATH="$GP" $G sample 3 --db "$kdb" -n 6 --seed 5 --out "$tmp/s3.png" >/dev/null 2>&1
    check "sample: the same seed gives the same file, another seed another" \
        eval 'cmp -s "$tmp/s1.png" "$tmp/s2.png" && ! cmp -s "$tmp/s1.png" "$tmp/s3.png"'
    run env GENLAB_PLUGIN_PATH="$GP" $G interpolate 3 --db "$kdb" --steps 10 -n 3 --out "$tmp/i.png"
    check "interpolate: 3 rows of 10 frames" \
        eval 'rc_is 0 && [ "$(png_size "$tmp/i.png")" = "302 92" ]'
    run env GENLAB_PLUGIN_PATH="$GP" $G sample 1 --db "$tdb" --out "$tmp/none.png"
    check "sample: a run without checkpoints fails, saying so" \
        eval 'rc_is 1 && err_has "has no checkpoint file left" && [ ! -e "$tmp/none.png" ]'
    run $G sample 3 --db "$kdb" --out "$tmp/none.png"
    check "sample: a run whose plugins are missing fails, naming the component" \
        eval 'rc_is 1 && err_has "does not resolve with the plugins loaded now" &&
              err_has "no dataset named \"mock\""'

    # the plugin guide's example, built against the build tree, trained
    # through the mock trainer, which takes any loss it can feed
    mkdir "$tmp/plug"
    if ${CC:-cc} -shared -fPIC -I"$srcdir/libgenlab/include" -o "$tmp/plug/myloss.so" \
           "$srcdir/doc/examples/myloss.c" >"$err" 2>&1; then
        run env GENLAB_PLUGIN_PATH="$tmp/plug:$GP" $G train --db "$tdb" train.trainer=mock \
            train.dataset=mock train.steps=20 mock.loss=lsgan-half loss.real_label=0.9
        check "train with the guide's myloss.so: completed" eval 'rc_is 0 && out_has "completed: 20 steps"'
        run $G query --db "$tdb" --format csv \
            "SELECT p.value, instr(r.plugin_versions, '\"name\":\"myloss\",\"version\":\"1.0.0\"') > 0 FROM params p JOIN runs r ON r.id = p.run_id WHERE p.key = 'loss.real_label'"
        check "... loss.real_label and the myloss module (1.0.0) recorded" \
            eval 'tr -d "\r" <"$out" | grep -qx "0.9,1"'
    else
        check "the guide's example builds with cc against the build tree" false
    fi
else
    skip "train and plugins" "no tests/.libs/mock_plugin.so (built by make check with Check)"
fi

# The GAN plugin's architectures: `plugins show` builds each in both roles
# on the spec it was designed for and prints the parameter counts, which
# must be the reference models' (torch_ref.py; seed 002's model summary).
GAN_DIR=${GAN_DIR:-./plugins/gan/.libs}
case $GAN_DIR in /*) ;; *) GAN_DIR=$PWD/$GAN_DIR ;; esac
if [ -f "$GAN_DIR/gan.so" ]; then
    for want in "dcgan32 generator 11,429,632; discriminator 4,309,441" \
                "dcgan28 generator 2,231,168; discriminator 212,865" \
                "dcgan64 generator 3,576,704; discriminator 2,765,568" \
                "resnet32 generator 1,204,483; discriminator 1,053,825" \
                "mlp28 generator 1,486,352; discriminator 533,505"; do
        arch=${want%% *}
        run env GENLAB_PLUGIN_PATH="$GAN_DIR" $G plugins show "$arch" --kind arch
        check "plugins show $arch: parameters ${want#* }" \
            eval 'rc_is 0 && out_has "  parameters: ${want#* }" && [ ! -s "$err" ]'
    done
else
    skip "plugins show of the GAN archs" "no $GAN_DIR/gan.so"
fi

# The diffusion plugin: `plugins show unet` counts torch_ref.py's unet32_ddpm;
# a tiny run on the mock data sampled under the run's sampler and under
# others (--sampler, --steps), each sampler's steps checked against T.
DIFF_DIR=${DIFF_DIR:-./plugins/diffusion/.libs}
case $DIFF_DIR in /*) ;; *) DIFF_DIR=$PWD/$DIFF_DIR ;; esac
if [ -f "$DIFF_DIR/diffusion.so" ] && [ -f "$PLUGIN_DIR/mock_plugin.so" ]; then
    DP="$DIFF_DIR:$PLUGIN_DIR"
    run env GENLAB_PLUGIN_PATH="$DIFF_DIR" $G plugins show unet --kind arch
    check "plugins show unet: torch_ref.py's 13,894,467 parameters" \
        eval 'rc_is 0 && out_has "13,894,467"'
    ddb=$tmp/diff.db
    run env GENLAB_PLUGIN_PATH="$DP" $G train --db "$ddb" train.trainer=diffusion \
        train.dataset=mock dataset.size=8 train.steps=4 train.batch=4 train.threads=1 \
        denoiser.block_out_channels=8,16 denoiser.layers_per_block=1 denoiser.norm_groups=4 \
        diffusion.timesteps=100 diffusion.sample_every=0 diffusion.sample_n=4 sampler.steps=20
    check "train diffusion: completed" eval 'rc_is 0 && out_has "completed: 4 steps"'
    png_size() { python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print(*struct.unpack(">II", d[16:24]))' "$1"; }
    run env GENLAB_PLUGIN_PATH="$DP" $G sample 1 --db "$ddb" --sampler ddim --steps 10 -n 9 \
        --out "$tmp/d1.png"
    check "sample --sampler ddim --steps 10: 9 images in a 3 x 3 grid" \
        eval 'rc_is 0 && [ "$(png_size "$tmp/d1.png")" = "32 32" ]'
    run env GENLAB_PLUGIN_PATH="$DP" $G sample 1 --db "$ddb" --steps 101 -n 2 --out "$tmp/d2.png"
    check "sample --steps over the run's T: exit 1, naming both" \
        eval 'rc_is 1 && err_has "sampler ddpm: 101 steps" && err_has "100 training timesteps"'
    run env GENLAB_PLUGIN_PATH="$DP" $G sample 1 --db "$ddb" --sampler nosuch -n 2 \
        --out "$tmp/d3.png"
    check "sample --sampler nosuch: exit 1, listing the samplers" \
        eval 'rc_is 1 && err_has "no sampler named \"nosuch\" (known: ddpm, ddim"'
    run env GENLAB_PLUGIN_PATH="$DP" $G sample 1 --db "$ddb" --steps 0 --out "$tmp/d4.png"
    check "sample --steps 0: a usage error" rc_is 2
    # the samplers report on two scores of the run, as genlab score records them
    python3 - "$ddb" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for sampler, steps, fid, sec in (("ddpm", 1000, 30.5, 200.0), ("ddim", 100, 33.25, 20.0)):
    proto = {"generated": {"sampler": sampler, "sampler_steps": steps, "seconds": sec, "n": 1000}}
    db.execute("INSERT INTO scores (run_id, step, metric, value, higher_is_better, n_samples, "
               "feature_extractor, protocol, created) VALUES (1, 4, 'classifier_fid', ?, 0, "
               "1000, 'classifier:abc', ?, '2026-11-26T00:00:00Z')", (fid, json.dumps(proto)))
db.commit()
PY
    run $G report --db "$ddb" samplers --format csv
    check "report samplers: DDPM-1000 and DDIM-100 side by side, ms per image, speedup" \
        eval 'rc_is 0 && tr -d "\r" <"$out" | grep -q "^1,.*,classifier_fid,30.5,200.0,33.25,20.0,10.0,1000$"'
else
    skip "the diffusion plugin from the command line" "no $DIFF_DIR/diffusion.so"
fi

# ---- usage ----

for cmd in "" runs show query report db "db merge" selftest version train plugins "plugins show" \
           sample interpolate; do
    run $G $cmd --help
    check "genlab $cmd --help exits 0 with a usage line" eval 'rc_is 0 && grep -q "^usage: genlab" "$out"'
done
for cmd in runs "show 1" "query x" "report runs" "db merge a b" selftest version db "" train \
           plugins "plugins show x" "sample 1" "interpolate 1"; do
    run $G $cmd --bogus
    check "genlab $cmd --bogus: exit 2, one-line error and usage on stderr" \
        eval 'rc_is 2 && one_line_error && grep -q "^usage: genlab" "$err" && [ ! -s "$out" ]'
done
for cmd in show query report "db merge out.db" db "runs extra" "plugins extra" "plugins show" \
           "sample --out x.png" "sample 1 2 --out x.png" "sample 1" "sample 1 --out x.png -n 0" \
           "interpolate 1 --out x.png --steps 1"; do
    run $G $cmd
    check "genlab $cmd (wrong arguments): exit 2 and usage" \
        eval 'rc_is 2 && one_line_error && grep -q "^usage: genlab" "$err"'
done
run $G train --help
check "train --help: the core keys with their defaults, and where the others are" \
    eval 'rc_is 0 && grep -qE "^  train.steps +int +1000 +\[1, " "$out" && out_has "genlab plugins show NAME" &&
          out_has "130 interrupted"'
check "train --help: the default job's values (genlab train without arguments)" \
    eval 'out_has "the default job (genlab train without KEY=VALUE or --config):" &&
          grep -qx "  train.trainer=gan" "$out" && grep -qx "  train.dataset=idx" "$out"'
run $G runs --db "$db" --format xml
check "unknown format: exit 2" eval 'rc_is 2 && err_has "unknown format"'
run $G runs --db
check "option without its value: exit 2" eval 'rc_is 2 && err_has "needs a value"'
run $G nosuchcommand
check "unknown command: exit 2" eval 'rc_is 2 && err_has "unknown command"'

# ---- missing database ----

run $G runs --db "$tmp/none.db"
check "missing --db file: exit 1, the path named" eval 'rc_is 1 && err_has "$tmp/none.db"'
check "... and not created" [ ! -e "$tmp/none.db" ]
mkdir "$tmp/empty"
run sh -c "cd '$tmp/empty' && exec '$G' show 1"
check "default ./genlab.db, named when missing" eval 'rc_is 1 && err_has "genlab.db"'
run env GENLAB_DB="$tmp/env.db" $G query "SELECT 1"
check "GENLAB_DB, named when missing" eval 'rc_is 1 && err_has "$tmp/env.db"'
run env GENLAB_DB="$db" $G runs --format csv
check "GENLAB_DB chooses the store" eval 'rc_is 0 && out_has "pipe|name"'
if [ -w /dev/full ]; then
    "$G" runs --db "$db" >/dev/full 2>"$err"; rc=$?
    check "a write error is a failure" eval 'rc_is 1 && err_has "error writing"'
fi

# ---- the default dataset ----

# selftest's last run reads Fashion-MNIST through the idx plugin, which
# ./genlab finds in the build tree (no GENLAB_PLUGIN_PATH here)
if [ -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    run $G selftest --data-steps 200
    check "selftest learns Fashion-MNIST from the idx plugin (70% of 2000 test images)" \
        eval 'rc_is 0 && out_has "fashion  ok: 60000 + 10000 images, 10 classes"'
else
    skip "selftest learns Fashion-MNIST from the idx plugin" "dataset-fashion-mnist not installed"
fi

# ---- progress ----

run $G selftest --steps 30 --data-steps 0
check "selftest progress off a terminal: a line every 25 steps and the last" \
    eval 'grep -q "^convnet step 25/30 loss [0-9.]* [0-9.]* it/s ETA" "$err" &&
          grep -q "^convnet step 30/30" "$err" && [ "$(grep -c "^convnet step" "$err")" -eq 3 ]'
check "... and no terminal control characters" [ "$(tr -d '\n' <"$err" | tr -d '[:print:]' | wc -c)" -eq 0 ]
if have script; then
    t0=$(date +%s%N)
    script -qec "'$G' selftest --steps 200 --data-steps 0" /dev/null >"$out" 2>"$err" </dev/null; rc=$?
    t1=$(date +%s%N)
    # redraws: each starts with a carriage return and ends clearing the line
    redraws=$(grep -o "$(printf '\r')convnet \[[#-]*\] [0-9]*/200" "$out" | wc -l)
    # at most 10 a second, plus the first and the last
    bound=$(( (t1 - t0) / 100000000 + 2 ))
    check "on a terminal: one line redrawn in place, bar and ETA" \
        eval 'out_has "/200  loss" && out_has "it/s  ETA" && grep -q "200/200" "$out"'
    check "on a terminal: at most 10 redraws a second ($redraws in $(( (t1 - t0) / 1000000 )) ms)" \
        eval '[ "$redraws" -ge 2 ] && [ "$redraws" -le "$bound" ]'
else
    skip "on a terminal: one line redrawn in place" "no script(1)"
fi

# ---- man page ----

if have man; then
    MANWIDTH=80 man --warnings -l "$srcdir/doc/genlab.1" >"$out" 2>"$err"; rc=$?
    check "man page renders without warnings" eval 'rc_is 0 && [ -s "$out" ] && [ ! -s "$err" ]'
    for word in NAME SYNOPSIS DESCRIPTION COMMANDS ENVIRONMENT FILES "EXIT STATUS" EXAMPLES \
                GENLAB_DB GENLAB_PLUGIN_PATH runs show query report "db merge" selftest train plugins \
                sample interpolate resume; do
        check "man page has $word" grep -q "$word" "$out"
    done
else
    skip "man page renders without warnings" "no man(1)"
fi

summary
