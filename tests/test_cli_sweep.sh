#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_cli_sweep.sh — drives `genlab sweep` on tiny sweeps: a grid of the
# mock trainer (2 learning rates x 2 seeds, --jobs 2) tagged in the store,
# skipped when run again, described by --dry-run; a point of a small GAN
# stopped by Ctrl-C (relayed to it) and resumed from its checkpoint by the
# next run; the Slurm job-array script run task by task through
# SLURM_ARRAY_TASK_ID, its shards merged with genlab db merge; scoring
# ([score]: each point's run scored once, the classifier trained once, a
# re-run scoring nothing, a failed scoring, bad [score] sections, Slurm
# tasks scoring into their shards) and the report it feeds; the shipped
# sweep files (doc/examples/sweeps) expanded; usage errors. Prints one "ok N - ..." or "not ok N - ..." line per check and
# exits 1 if any failed (77, SKIP, without the test plugins).
#
# Environment: GENLAB (default ./genlab), PLUGIN_DIR (the mock plugin,
# default ./tests/.libs), srcdir; as tests/cli_common.sh. Only genlab is
# run, never under valgrind (it would trace the shell): the sweep's logic
# is tests/test_sweep's, which valgrind runs.
#
# Sections: harness, a grid, resuming, Slurm, scoring, shipped sweep
# files, usage.
set -u

# ---- harness ----

cli_name=genlab-cli-sweep
. "${srcdir:-.}/tests/cli_common.sh"
if [ ! -f "$PLUGIN_DIR/mock_plugin.so" ]; then
    echo "no $PLUGIN_DIR/mock_plugin.so (built by make check with Check)"
    exit 77
fi
GENLAB_PLUGIN_PATH=$PLUGIN_DIR; export GENLAB_PLUGIN_PATH
G=$GENLAB
# q DB SQL: the query's rows as CSV without the header
q() { "$G" query --db "$1" --format csv "$2" 2>/dev/null | tr -d '\r' | sed 1d; }

cd "$tmp" || exit 1
printf '[train]\ntrainer = mock\ndataset = mock\nsteps = 20\nlog_every = 10\nthreads = 1\n' >base.ini
cat >grid.ini <<'EOF'
[sweep]
name = lr-grid
config = base.ini   ; relative to this file
seeds = 0..1
[grid]
optim.lr = 1e-4, 2e-4
[fixed]
train.steps = 30
EOF

# ---- a grid ----

run $G sweep --config grid.ini --db g.db --dry-run
check "--dry-run: the 4 points in order, each to run" \
    eval 'rc_is 0 && [ "$(grep -c ": run$" "$out")" -eq 4 ] &&
          sed -n 2p "$out" | grep -qx "\[1/4\] optim.lr=0.0001 train.seed=0: run" &&
          sed -n 5p "$out" | grep -qx "\[4/4\] optim.lr=0.0002 train.seed=1: run"'
check "--dry-run creates no store" [ ! -e g.db ]

run $G sweep --config grid.ini --db g.db --jobs 2
check "sweep --jobs 2: 4 points started and completed, exit 0" \
    eval 'rc_is 0 && [ "$(grep -c "^\[[1-4]/4\] start " "$out")" -eq 4 ] &&
          [ "$(grep -c "^\[[1-4]/4\] completed " "$out")" -eq 4 ] &&
          out_has "4 completed (0 of them resumed), 0 skipped, 0 failed"'
# the store's view of a sweep: its completed runs and their distinct points;
# the runs whose point's learning rate and seed are the ones they ran with
tagged="SELECT count(*), count(DISTINCT sweep_point) FROM runs WHERE sweep = 'lr-grid' AND status = 'completed'"
lr_match="SELECT count(*) FROM runs r JOIN params p ON p.run_id = r.id AND p.key = 'optim.lr'
          WHERE json_extract(r.sweep_point, '\$.\"optim.lr\"') = p.value"
seed_match="SELECT count(*) FROM runs r JOIN params p ON p.run_id = r.id AND p.key = 'train.seed'
            WHERE json_extract(r.sweep_point, '\$.\"train.seed\"') = p.value AND r.seed = p.value"
check "... 4 runs tagged lr-grid, one per point, with the point's values" \
    eval '[ "$(q g.db "$tagged")" = "4,4" ] && [ "$(q g.db "$lr_match")" = 4 ] &&
          [ "$(q g.db "$seed_match")" = 4 ]'
fixed="SELECT count(*) FROM params WHERE (key = 'train.steps' AND value = '30') OR
       (key = 'train.log_every' AND value = '10')"
check "... [fixed] and the base config apply to every point" eval '[ "$(q g.db "$fixed")" = 8 ]'
check "... each point's output in sweep-logs/" \
    eval '[ "$(ls sweep-logs | wc -l)" -eq 4 ] && grep -q "completed: 30 steps" sweep-logs/lr-grid-3.log'

run $G sweep --config grid.ini --db g.db --jobs 2
check "run again: every point skipped as completed, no new run" \
    eval 'rc_is 0 && [ "$(grep -c ": skip (completed: run " "$out")" -eq 4 ] &&
          out_has "0 completed (0 of them resumed), 4 skipped, 0 failed" &&
          [ "$(q g.db "SELECT count(*) FROM runs")" = 4 ]'
run $G sweep --config grid.ini --db g.db --dry-run
check "--dry-run on the store: every point would be skipped" \
    eval 'rc_is 0 && [ "$(grep -c ": skip (completed: run " "$out")" -eq 4 ]'

# one more learning rate: only its two points run
sed 's/^optim.lr = .*/optim.lr = 1e-4, 2e-4, 5e-4/' grid.ini >grid3.ini
run $G sweep --config grid3.ini --db g.db
check "a grown grid runs only its new points" \
    eval 'rc_is 0 && out_has "2 completed (0 of them resumed), 4 skipped, 0 failed" &&
          out_has "[5/6] start optim.lr=0.0005 train.seed=0"'

# a point that fails (a NaN at its step 3) fails the sweep, the others run
printf '[sweep]\nname = nan\nconfig = base.ini\n[grid]\nmock.nan_at = -1, 3\n' >nan.ini
run $G sweep --config nan.ini --db g.db
check "a failing point: FAILED with its log, the summary, exit 1" \
    eval 'rc_is 1 && out_has "[2/2] FAILED mock.nan_at=3 train.seed=0 (exit status 1; its output: sweep-logs/nan-1.log)" &&
          out_has "1 completed (0 of them resumed), 0 skipped, 1 failed"'

# ---- resuming ----

# a tiny GAN: a checkpoint every 50 of its 600 steps of about 5 ms (one
# thread: OpenMP threads spinning against other work on shared cores make
# it ten times slower)
printf '[train]\ntrainer = gan\ndataset = mock\nbatch = 8\nsteps = 600\nthreads = 1\nlog_every = 100\nckpt_every = 50\n[dataset]\nsize = 28\n[gan]\ngenerator = dcgan28\ndiscriminator = dcgan28\nz_dim = 8\nsample_every = 0\n[generator]\nngf = 4\n[discriminator]\nndf = 4\n' >gan.ini
printf '[sweep]\nname = gan\nconfig = gan.ini\nseeds = 3\n' >gansweep.ini
$G sweep --config gansweep.ini --db r.db >"$out" 2>"$err" &
pid=$!
i=0
while [ $i -lt 300 ] && [ "$(q r.db "SELECT count(*) > 0 FROM artifacts WHERE kind = 'checkpoint'")" != 1 ]; do
    sleep 0.1; i=$((i + 1))
done
kill -INT "$pid"
wait "$pid"; rc=$?
check "Ctrl-C: relayed to the point, which stops; exit 130" \
    eval 'rc_is 130 && out_has "[1/1] interrupted train.seed=3" && err_has "stopping: waiting for 1 running point" &&
          [ "$(q r.db "SELECT status FROM runs")" = interrupted ]'
stopped=$(q r.db "SELECT uuid FROM runs")
run $G sweep --config gansweep.ini --db r.db --dry-run
check "--dry-run: the interrupted point would be resumed" \
    out_has "[1/1] train.seed=3: resume run $stopped (interrupted) from its checkpoint"
run $G sweep --config gansweep.ini --db r.db
check "run again: the point resumed from its checkpoint to the end" \
    eval 'rc_is 0 && out_has "[1/1] resume train.seed=3" && out_has "1 completed (1 of them resumed)" &&
          grep -q "resuming run $stopped from " sweep-logs/gan-0.log'
check "... the new run continues the old one, tagged with the same point" \
    eval '[ "$(q r.db "SELECT parent_uuid, status, sweep, sweep_point FROM runs WHERE id = 2")" = "$stopped,completed,gan,\"{\"\"train.seed\"\":\"\"3\"\"}\"" ]'

# ---- Slurm ----

run $G sweep --config grid.ini --emit slurm --out lr.slurm --shards shards
check "--emit slurm: the script, a 4-task array, the merge command" \
    eval 'rc_is 0 && grep -qx "#SBATCH --array=0-3" lr.slurm && grep -qx "#SBATCH --job-name=lr-grid" lr.slurm &&
          grep -q "^# afterwards: genlab db merge lr-grid.db .*/shards/lr-grid-\*.db$" lr.slurm &&
          grep -q -- "--task \"\$SLURM_ARRAY_TASK_ID\"" lr.slurm && [ -d shards ] && out_has "sbatch lr.slurm"'
ok=0
for k in 0 1 2 3; do
    SLURM_ARRAY_TASK_ID=$k bash lr.slurm >"$tmp/task$k.out" 2>&1 && ok=$((ok + 1))
done
check "the array's tasks, driven through SLURM_ARRAY_TASK_ID: each completes its point" \
    eval '[ $ok -eq 4 ] && grep -q "^\[3/4\] completed optim.lr=0.0002 train.seed=0" "$tmp/task2.out" &&
          [ "$(ls shards/*.db | wc -l)" -eq 4 ]'
SLURM_ARRAY_TASK_ID=1 bash lr.slurm >"$out" 2>"$err"; rc=$?
check "a task run again skips its completed point" \
    eval 'rc_is 0 && out_has "[2/4] optim.lr=0.0001 train.seed=1: skip (completed: run "'
run $G db merge all.db shards/lr-grid-0.db shards/lr-grid-1.db shards/lr-grid-2.db shards/lr-grid-3.db
points="SELECT group_concat(sweep_point, ' ') FROM (SELECT sweep_point FROM runs
        WHERE sweep = 'lr-grid' AND sweep_point NOT LIKE '%0.0005%' ORDER BY sweep_point)"
check "db merge of the shards: one store, one run per point, tagged, with its values" \
    eval 'rc_is 0 && out_has "4 runs added" && [ "$(q all.db "$tagged")" = "4,4" ] &&
          [ "$(q all.db "$lr_match")" = 4 ] && [ "$(q all.db "$seed_match")" = 4 ] &&
          [ "$(q all.db "$points")" = "$(q g.db "$points")" ]'

# ---- scoring ----

# a tiny GAN over two losses x two seeds, each completed run scored with
# classifier-fid on 64 images; classifier.weights=auto trains one small
# classifier (20 steps) the first time, which the other points then find
printf '[train]\ntrainer = gan\ndataset = mock\nbatch = 16\nsteps = 20\nthreads = 1\nlog_every = 10\n[dataset]\nsize = 28\nn_items = 200\n[gan]\ngenerator = dcgan28\ndiscriminator = dcgan28\nz_dim = 8\nsample_every = 0\n[generator]\nngf = 4\n[discriminator]\nndf = 4\n' >ganl.ini
printf '[sweep]\nname = losses\nconfig = ganl.ini\nseeds = 0..1\n[grid]\ngan.loss = bce, hinge\n[score]\nmetric = classifier-fid\nn = 64\nargs = --batch 32 --threads 1 --classifier-steps 20 classifier.weights=auto\n' >losses.ini
run $G sweep --config losses.ini --db s.db --dry-run
check "--dry-run with [score]: the scoring command, each point run then scored" \
    eval 'rc_is 0 && out_has "scoring: genlab score RUN --db s.db --metric classifier-fid -n 64 --batch 32" &&
          [ "$(grep -c ": run, then score it$" "$out")" -eq 4 ]'
run $G sweep --config losses.ini --db s.db --jobs 2
scored="SELECT count(DISTINCT s.run_id) || ' ' || count(*) FROM scores s JOIN runs r ON r.id = s.run_id
        WHERE r.sweep = 'losses' AND s.metric = 'classifier_fid' AND s.n_samples = 64"
check "sweep with [score], --jobs 2: 4 points trained and scored, exit 0" \
    eval 'rc_is 0 && [ "$(grep -c "^\[[1-4]/4\] scored " "$out")" -eq 4 ] &&
          out_has "4 completed (0 of them resumed), 0 skipped, 0 failed; 4 scored" &&
          [ "$(q s.db "$scored")" = "4 4" ] && grep -q "classifier_fid" sweep-logs/losses-3.log'
check "... one classifier trained (by the first scoring), all four scores of its weights" \
    eval '[ "$(q s.db "SELECT count(*) FROM runs WHERE trainer = '"'classifier'"'")" = 1 ] &&
          [ "$(q s.db "SELECT count(DISTINCT extractor_sha256) FROM scores WHERE metric = '"'classifier_fid'"'")" = 1 ]'
run $G sweep --config losses.ini --db s.db --jobs 2
check "run again: nothing trained or scored" \
    eval 'rc_is 0 && [ "$(grep -c ": skip (completed: run .*, scored)$" "$out")" -eq 4 ] &&
          out_has "0 completed (0 of them resumed), 4 skipped, 0 failed; 0 scored" &&
          [ "$(q s.db "SELECT count(*) FROM runs")" = 5 ] && [ "$(q s.db "$scored")" = "4 4" ]'
run $G report gan-losses --db s.db
check "report gan-losses: one row per loss, classifier-FID as mean ± std over the 2 seeds" \
    eval 'rc_is 0 && [ "$(grep -cE "^(bce|hinge) +dcgan28 +[0-9.]+ ± [0-9.e-]+ .* 2 " "$out")" -eq 2 ] &&
          out_has "score protocol: classifier_fid: classifier:"'
# another n is another protocol: the completed runs are scored, not trained
sed 's/^n = 64/n = 96/' losses.ini >losses96.ini
run $G sweep --config losses96.ini --db s.db
check "[score] n changed: the completed points scored again, nothing trained" \
    eval 'rc_is 0 && [ "$(grep -c "^\[[1-4]/4\] score " "$out")" -eq 4 ] &&
          out_has "0 completed (0 of them resumed), 4 skipped, 0 failed; 4 scored" &&
          [ "$(q s.db "SELECT count(*) FROM runs")" = 5 ]'
# a scoring that fails (weights that do not exist) fails the point, not its run
printf '[sweep]\nname = badscore\nconfig = ganl.ini\nseeds = 0\n[score]\nmetric = classifier-fid\nn = 64\nargs = classifier.weights=none.safetensors\n' >badscore.ini
run $G sweep --config badscore.ini --db s.db
check "a failed scoring: the point FAILED (its log named), exit 1, its run completed" \
    eval 'rc_is 1 && out_has "[1/1] score FAILED train.seed=0 (exit status 1; its output: sweep-logs/badscore-0.log)" &&
          out_has "0 completed (0 of them resumed), 0 skipped, 1 failed; 0 scored" &&
          [ "$(q s.db "SELECT status FROM runs WHERE sweep = '"'badscore'"'")" = completed ]'
# [score] checked up front: file, line and key
for c in "metric = classifier-fidd|6: [score] metric = \"classifier-fidd\": not genlab score's" \
         "n = 64|6: [score] needs metric = LIST" \
         "metric = fid\nlr = 1|7: unknown key \"lr\" in [score] (known: metric, n, args)" \
         "metric = fid\nn = x|7: [score] n = \"x\": expected an integer >= 1" \
         "metric = fid\nargs = --db x.db|7: [score] args: --db is the sweep's" \
         "metric = fid\nargs = foo=1|7: [score] is refused by genlab score"; do
    printf '[sweep]\nname = v\nconfig = ganl.ini\nseeds = 0\n[score]\n%b\n' "${c%%|*}" >v.ini
    run $G sweep --config v.ini --db u.db --dry-run
    check "a bad [score] (${c%%|*}): exit 2, file, line and key" \
        eval 'rc_is 2 && err_has "v.ini:${c#*|}" && [ ! -e u.db ]'
done

# Slurm: a task scores into its own store, so the classifier is a file
run $G sweep --config losses.ini --emit slurm --out ls.slurm --shards lshards
check "--emit slurm with classifier.weights=auto: refused (a classifier per task)" \
    eval 'rc_is 2 && err_has "losses.ini:10: [score] args: classifier.weights=auto: a Slurm task" &&
          [ ! -e ls.slurm ]'
ckpt=$(q s.db "SELECT a.path FROM artifacts a JOIN runs r ON r.id = a.run_id
               WHERE r.trainer = 'classifier' AND a.kind = 'checkpoint' ORDER BY a.id DESC LIMIT 1")
sed "s|classifier.weights=auto|classifier.weights=$ckpt|" losses.ini >lfile.ini
run $G sweep --config lfile.ini --emit slurm --out ls.slurm --shards lshards
ok=0
for k in 0 1 2 3; do
    SLURM_ARRAY_TASK_ID=$k bash ls.slurm >"$tmp/ltask$k.out" 2>&1 && ok=$((ok + 1))
done
run $G db merge lall.db lshards/losses-0.db lshards/losses-1.db lshards/losses-2.db lshards/losses-3.db
run $G report gan-losses --db lall.db
check "Slurm with classifier.weights=FILE: each task scores its point; merged, one report" \
    eval '[ $ok -eq 4 ] && grep -q "^\[2/4\] scored " "$tmp/ltask1.out" && rc_is 0 &&
          [ "$(grep -cE "^(bce|hinge) +dcgan28 +[0-9.]+ ± " "$out")" -eq 2 ] &&
          [ "$(q lall.db "$scored")" = "4 4" ]'

# ---- shipped sweep files ----

# each one parsed, checked against the build's plugins and expanded
ex=$srcdir/doc/examples/sweeps
for c in gan-losses:12 batch-arch:18 lr-arch:18 beta1-arch:24 model-is-fid:6; do
    run $G sweep --config "$ex/${c%%:*}.ini" --db u.db --dry-run
    check "doc/examples/sweeps/${c%%:*}.ini: ${c#*:} points, each trained then scored" \
        eval 'rc_is 0 && out_has "sweep ${c%%:*}: ${c#*:} points" &&
              [ "$(grep -c ": run, then score it$" "$out")" -eq ${c#*:} ]'
done
check "every shipped sweep file is checked above" [ "$(ls "$ex"/*.ini | wc -l)" -eq 5 ]

# ---- usage ----

printf '[sweep]\nname = bad\nconfig = base.ini\n[grid]\noptim.lrr = 1, 2\n' >bad.ini
run $G sweep --config bad.ini --db u.db
check "a bad sweep file: exit 2, file, line and key named, no store" \
    eval 'rc_is 2 && err_has "bad.ini:5: unknown key \"optim.lrr\"; did you mean \"optim.lr\"?" && [ ! -e u.db ]'
run $G sweep --config grid.ini --db u.db --task 4
check "--task past the last point: exit 2" eval 'rc_is 2 && err_has "--task 4: the sweep has 4 points (0 to 3)"'
run $G sweep --db u.db
check "no --config: exit 2" eval 'rc_is 2 && err_has "missing --config FILE"'
run $G sweep --config grid.ini --emit pbs
check "--emit of an unknown kind: exit 2" eval 'rc_is 2 && err_has "only '"'slurm'"' is known"'
run $G train --db u.db --sweep x train.trainer=mock
check "train --sweep without --sweep-point: exit 2" eval 'rc_is 2 && err_has "go together"'
run $G train --db u.db --sweep x --sweep-point '[1]' train.trainer=mock
check "train --sweep-point that is not a JSON object: exit 2" eval 'rc_is 2 && err_has "is not a JSON object"'
run $G sweep --help
check "sweep --help: the file format, the options, the exit statuses" \
    eval 'rc_is 0 && out_has "optim.lr = 1e-4, 2e-4" && out_has "--emit slurm" && out_has "130"'
run $G --help
check "genlab --help lists sweep" grep -q "^  sweep " "$out"

summary
