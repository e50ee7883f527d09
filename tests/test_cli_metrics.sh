#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_cli_metrics.sh — drives the built genlab program's evaluation
# commands (stats, score, fid) and the report's protocol check on small
# runs: a classifier and a tiny GAN trained on the mock plugin's 28 x 28
# ramps, classifier-fid as the metric (no weights to download). Checks:
# statistics written as a .npz NumPy reads and cached (a second call says
# so), FID of a set against itself ~0 whichever way it is given, score rows
# with their protocols in the store, FID's reference statistics computed
# once per protocol into the cache genlab stats shares (a second score reads
# them, the entry untouched; other real images miss it; the run's
# augmentation off for them), anomaly detection's ROC-AUC of a VAE run
# (and its errors), reports refusing mixed protocols, classifier.weights=auto
# finding the classifier of a run's data or training one (and last:TRAINER
# naming the run), and
# bad inputs (missing or mismatched weights, wrong image sizes, unreadable
# .npz, usage errors) with their exit status and nothing written. When
# Debian's Fashion-MNIST is installed, statistics of its test split too.
# Prints one "ok N - ..." or "not ok N - ..." line per check and exits 1 if
# any failed; its last line has the form of a Check summary, as
# test_cli.sh's.
#
# Environment: GENLAB (default ./genlab), PLUGIN_DIR (the test plugins,
# default ./tests/.libs), srcdir (the source tree, for the reports).
# The metrics, gan and dataset plugins are the build tree's, which an
# uninstalled ./genlab finds by itself.
#
# Sections: harness, training, stats, fid, score, anomaly detection,
# reports, classifier.weights=auto, bad inputs,
# Fashion-MNIST, help.
set -u

# ---- harness ----

cli_name=genlab-cli-metrics
. "${srcdir:-.}/tests/cli_common.sh"
# below LIMIT: the first line of stdout is a number under LIMIT in magnitude
below() { awk -v l="$1" 'NR == 1 { v = $1 < 0 ? -$1 : $1; ok = ($1 ~ /^-?[0-9.]+$/ && v < l) }
                         END { exit !ok }' "$out"; }
# numpy: /usr/bin/python3 (Debian's, with NumPy) or python3 when it has it
PY=
for p in /usr/bin/python3 python3; do
    if "$p" -c 'import numpy' >/dev/null 2>&1; then PY=$p; break; fi
done

if [ ! -f "$PLUGIN_DIR/mock_plugin.so" ]; then
    skip "evaluation commands" "no $PLUGIN_DIR/mock_plugin.so (built by make check with Check)"
    summary
fi
# the mock plugin alone (the broken test plugins beside it only warn)
mkdir "$tmp/plug" && cp "$PLUGIN_DIR/mock_plugin.so" "$tmp/plug/"
GENLAB_PLUGIN_PATH=$tmp/plug; export GENLAB_PLUGIN_PATH
db=$tmp/m.db
G="$GENLAB"
# q SQL: the first value of a query on $db (name a column written over
# several lines: its CSV header would take several lines too)
q() { "$G" query --db "$db" --format csv "$1" 2>/dev/null | tr -d '\r' | sed -n 2p; }
DATA="dataset.size=28 dataset.noise=0.3 dataset.n_items=200"

# ---- training ----

# run 1: a classifier on the ramps (3 classes); run 2: a tiny DCGAN
run $G train --db "$db" train.trainer=classifier train.dataset=mock $DATA train.batch=16 \
    train.steps=30 train.log_every=10 train.threads=1
check "train a classifier: completed, its checkpoint is classifier-fid's weights" \
    eval 'rc_is 0 && out_has "completed: 30 steps" &&
          [ "$(q "SELECT count(*) FROM artifacts WHERE run_id = 1 AND kind = '"'checkpoint'"'")" -ge 1 ]'
run $G train --db "$db" train.trainer=gan train.dataset=mock $DATA gan.generator=dcgan28 \
    gan.discriminator=dcgan28 generator.ngf=4 discriminator.ndf=4 gan.z_dim=8 gan.sample_every=0 \
    train.batch=16 train.steps=20 train.threads=1
check "train a tiny GAN" eval 'rc_is 0 && out_has "completed: 20 steps"'

# ---- stats ----

run $G stats mock $DATA --extractor classifier --weights 1 --db "$db" --out "$tmp/a.npz"
check "stats: the classifier's statistics of 200 ramps, written and cached" \
    eval 'rc_is 0 && out_has "wrote $tmp/a.npz: statistics (mu 128, sigma 128 x 128, float64) of 200 images" &&
          out_has "cached as $tmp/stats-cache/"'
if [ -n "$PY" ]; then
    check "stats: NumPy reads mu (128) and a symmetric sigma (128, 128), float64" "$PY" -c '
import sys, numpy as np
z = np.load(sys.argv[1])
assert sorted(z.files) == ["mu", "sigma"], z.files
assert z["mu"].shape == (128,) and z["sigma"].shape == (128, 128)
assert z["mu"].dtype == np.float64 and np.allclose(z["sigma"], z["sigma"].T)' "$tmp/a.npz"
else
    skip "stats: NumPy reads the .npz" "no python3 with numpy"
fi
run $G stats mock $DATA --extractor classifier --weights 1 --db "$db" --out "$tmp/b.npz"
check "stats: a second call reads the cache and says so" \
    eval 'rc_is 0 && out_has "wrote $tmp/b.npz from the cache" && out_has "nothing recomputed"'
run $G stats mock $DATA dataset.n_items=150 --extractor classifier --weights 1 --db "$db" \
    --out "$tmp/c.npz"
check "stats: other data is another cache entry" \
    eval 'rc_is 0 && out_has "of 150 images" && out_has "cached as" &&
          [ "$(ls "$tmp/stats-cache" | wc -l)" -eq 2 ]'

# ---- fid ----

run $G fid "$tmp/a.npz" "$tmp/b.npz"
check "fid of two .npz files of the same images: 0" eval 'rc_is 0 && below 1e-9 &&
    err_has "(128 features)"'
# (without the noise: it is drawn from the data stream, which moves on from A to B)
run $G fid mock mock $DATA dataset.noise=0 --extractor classifier --weights 1 --db "$db"
check "fid of a dataset against itself: ~0" eval 'rc_is 0 && below 1e-6'
run $G fid "$tmp/a.npz" mock $DATA --extractor classifier --weights 1 --db "$db"
check "fid of a dataset against its own statistics: ~0" eval 'rc_is 0 && below 1e-6'
run $G fid "$tmp/c.npz" "$tmp/a.npz"
check "fid of different sets: above 0" eval 'rc_is 0 && ! below 1e-6'

# ---- score ----

run $G score 2 --db "$db" --metric classifier-fid,classifier-kid,classifier-pr -n 96 \
    --batch 32 classifier.weights=1 classifier.kid_subsets=4 classifier.kid_subset_size=32
check "score: a GAN run's classifier-fid, kid, precision and recall recorded" \
    eval 'rc_is 0 && out_has "4 scores recorded" && out_has "classifier_fid" &&
          out_has "classifier_recall"'
check "score: FID's reference statistics computed once and cached" \
    eval 'err_has "FID reference: statistics of 96 images of mock" &&
          err_has "computed and cached as $tmp/stats-cache/"'
entry=$(sed -n 's/.*computed and cached as \(.*\)$/\1/p' "$err")
stamp=$(stat -c %Y.%s "$entry" 2>/dev/null)
check "score: fewer generated images than features warns, still a finite FID" \
    eval 'err_has "96 generated images for 128 features: their covariance is singular"'
check "score: the rows, their counts, std where defined, the run's uuid in the protocol" \
    eval '[ "$(q "SELECT count(*) FROM scores WHERE run_id = 2")" = 4 ] &&
          [ "$(q "SELECT n_samples || '"' '"' || n_real || '"' '"' || (std IS NULL) || '"' '"' ||
                  ref_split AS v FROM scores WHERE metric = '"'classifier_fid'"'")" = "96 96 1 train" ] &&
          [ "$(q "SELECT std > 0 AND n_splits = 4 FROM scores WHERE metric = '"'classifier_kid'"'")" = 1 ] &&
          [ "$(q "SELECT json_extract(protocol, '"'\$.generated.run'"') = (SELECT uuid FROM runs WHERE id = 2)
                    AND json_extract(protocol, '"'\$.kid_subset_size'"') = 32
                    AND json_extract(protocol, '"'\$.weights_sha256'"') = extractor_sha256 AS ok
                  FROM scores WHERE metric = '"'classifier_kid'"'")" = 1 ]'
# the GAN trained with dataset.noise=0.3, an augmentation: the real images
# are read with it off, so genlab stats of the data without it has the entry
run $G stats mock dataset.size=28 dataset.n_items=200 -n 96 --extractor classifier --weights 1 \
    --db "$db" --out "$tmp/e.npz"
noise_off=$(q "SELECT json_extract(protocol, '\$.real.params.\"dataset.noise\"') = '0' AS v
               FROM scores WHERE metric = 'classifier_fid'")
check "score: real images with the augmentation off; stats shares the cache entry" \
    eval 'rc_is 0 && out_has "from the cache ($entry)" && [ "$noise_off" = 1 ]'
sleep 1   # a rewrite within the same second would keep the mtime
run $G score 2 --db "$db" --metric classifier-fid -n 96 classifier.weights=1
check "score again: the statistics read from the cache, not recomputed (entry untouched)" \
    eval 'rc_is 0 && err_has "FID reference $entry, read from the cache" &&
          err_has "nothing recomputed" && ! err_has "reference [" &&
          [ "$(stat -c %Y.%s "$entry")" = "$stamp" ] &&
          [ "$(q "SELECT count(DISTINCT value) || '"' '"' || count(*) AS v FROM scores
                  WHERE metric = '"'classifier_fid'"' AND n_samples = 96")" = "1 2" ]'
run $G score 2 --db "$db" --metric classifier-fid -n 96 --n-real 80 classifier.weights=1
check "score: another protocol (80 real images) misses the cache, another entry" \
    eval 'rc_is 0 && err_has "statistics of 80 images of mock" && err_has "computed and cached" &&
          [ "$(q "SELECT n_real FROM scores ORDER BY id DESC")" = 80 ]'
run $G score 2 --db "$db" --metric classifier-fid -n 96 --cache none classifier.weights=1
check "score --cache none: FID on the real images, no cache read or written" \
    eval 'rc_is 0 && ! err_has "cache" && [ "$(ls "$tmp/stats-cache" | wc -l)" -eq 4 ]'
run $G score 2 --db "$db" --metric classifier-fid -n 64 --ref "$tmp/a.npz" classifier.weights=1
check "score --ref: FID against a .npz, its hash recorded" \
    eval 'rc_is 0 && [ "$(q "SELECT ref_stats_id = '"'$tmp/a.npz'"' AND length(ref_stats_sha256) = 64
                               AND n_real IS NULL AS ok FROM scores WHERE n_samples = 64")" = 1 ]'

# ---- anomaly detection ----

# run 3: a tiny VAE on the ramps (labels: item % 3)
# labels item % 3: classes 0 and 2 have 67 + 66 of the 200 items, class 1 67
run $G train --db "$db" train.trainer=vae train.dataset=mock dataset.size=28 dataset.n_items=200 \
    train.batch=16 train.steps=30 train.threads=1 vae.sample_every=0 vae.eval_n=0
check "train a tiny VAE" eval 'rc_is 0 && out_has "completed: 30 steps"'
run $G score 3 --db "$db" --metric auroc normal=0,2
check "score auroc: the VAE's -ELBO ranks the 200 test images, normal classes 0 and 2" \
    eval 'rc_is 0 && out_has "1 score recorded" && out_has "vae:anomaly=elbo" &&
          [ "$(q "SELECT value BETWEEN 0 AND 1 AND n_samples = 200 AND ref_split = '"'test'"'
                    AND ref_stats_id = '"'mock:200 normal=0,2'"' AND higher_is_better = 1
                    AND json_extract(protocol, '"'\$.anomaly_score.kind'"') = '"'elbo'"'
                    AND json_extract(protocol, '"'\$.n_normal'"') = 133
                    AND json_extract(protocol, '"'\$.n_anomalous'"') = 67
                    AND json_extract(protocol, '"'\$.normal_classes[1]'"') = 2 AS ok
                  FROM scores WHERE metric = '"'auroc'"'")" = 1 ]'
before=$(q "SELECT count(*) FROM scores")
run $G score 2 --db "$db" --metric auroc normal=0
check "score auroc of a GAN run: its trainer scores no images (2), nothing written" \
    eval 'rc_is 2 && err_has "trainer gan scores no images" &&
          [ "$(q "SELECT count(*) FROM scores")" = "$before" ]'
run $G score 3 --db "$db" --metric auroc
check "score auroc without normal= (2)" eval 'rc_is 2 && err_has "normal=C1,C2"'
run $G score 3 --db "$db" --metric auroc normal=3
check "score auroc: a normal class the dataset lacks (2)" \
    eval 'rc_is 2 && err_has "normal class 3 is not among the 3 classes"'
run $G score 3 --db "$db" --metric auroc normal=0,1,2
check "score auroc: no anomaly among the images (1)" eval 'rc_is 1 && err_has "all normal"'

# ---- reports ----

mkdir -p "$tmp/config/genlab/reports"
cp "$srcdir"/db/reports/*.sql "$tmp/config/genlab/reports/"
XDG_CONFIG_HOME=$tmp/config; export XDG_CONFIG_HOME
run $G report best_scores --db "$db"
check "report: FIDs of 96 and of 64 images in one column are refused, saying what differs" \
    eval 'rc_is 1 && err_has "classifier_fid: n_samples differs (64, 96)" &&
          err_has "--mixed-protocols"'
run $G report best_scores --db "$db" --mixed-protocols --format csv
# 64 against a.npz; 96 against the cached statistics of 96 and of 80 real
# images, and against the real images themselves (--cache none)
check "report --mixed-protocols: each protocol on a row of its own" \
    eval 'rc_is 0 && [ "$(grep -c "^gan,classifier_fid," "$out")" -eq 4 ]'
run $G report runs --db "$db"
check "report: one that reads no scores is not checked" eval 'rc_is 0'

# ---- classifier.weights=auto ----

# last:gan is run 2 (the VAE, run 3, is the newest); run 1 was trained on
# the same data, dataset.noise (an augmentation) aside: it is found
gan_uuid=$(q "SELECT uuid FROM runs WHERE id = 2")
run $G score last:gan --db "$db" --metric classifier-fid -n 96 classifier.weights=auto
check "score last:gan classifier.weights=auto: run 2 scored on the classifier of run 1" \
    eval 'rc_is 0 && out_has "run $gan_uuid" && err_has "the classifier of run 1, test accuracy" &&
          [ "$(q "SELECT count(DISTINCT extractor_sha256) FROM scores WHERE metric = '"'classifier_fid'"'")" = 1 ]'
# run 4: a GAN on other data (150 ramps), which no classifier has seen
run $G train --db "$db" train.trainer=gan train.dataset=mock dataset.size=28 dataset.n_items=150 \
    gan.generator=dcgan28 gan.discriminator=dcgan28 generator.ngf=4 discriminator.ndf=4 \
    gan.z_dim=8 gan.sample_every=0 train.batch=16 train.steps=10 train.threads=1
run $G score last:gan --db "$db" --metric classifier-fid -n 96 --classifier-steps 20 \
    classifier.weights=auto
check "score classifier.weights=auto on new data: a classifier trained, a run with its test accuracy" \
    eval 'rc_is 0 && err_has "training one (20 steps)" && err_has "trained run 5, test accuracy" &&
          [ "$(q "SELECT count(*) FROM runs r JOIN scores s ON s.run_id = r.id
                  WHERE r.id = 5 AND r.trainer = '"'classifier'"' AND s.metric = '"'test_accuracy'"'
                    AND s.n_samples = 150")" = 1 ] &&
          [ "$(q "SELECT count(*) FROM scores WHERE run_id = 4")" = 1 ]'
run $G score last:gan --db "$db" --metric classifier-fid -n 96 classifier.weights=auto
check "score classifier.weights=auto again: that classifier found, none trained" \
    eval 'rc_is 0 && err_has "the classifier of run 5" &&
          [ "$(q "SELECT count(*) FROM runs WHERE trainer = '"'classifier'"'")" = 2 ]'
run $G score last:nosuch --db "$db" --metric classifier-fid classifier.weights=1
check "score last:TRAINER without such a run (1)" eval 'rc_is 1 && err_has "last:nosuch"'

# ---- bad inputs ----

before=$(q "SELECT count(*) FROM scores")
run $G score 2 --db "$db" --metric classifier-fid,classifier-kid -n 40 classifier.weights=1
check "score: KID's subsets larger than the sets fail; no row of the evaluation is written" \
    eval 'rc_is 1 && err_has "1000" && [ "$(q "SELECT count(*) FROM scores")" = "$before" ]'
run $G stats mock $DATA --db "$db" --out "$tmp/x.npz"
check "stats: the Inception's weights not given: a configuration error (2)" \
    eval 'rc_is 2 && err_has "inception.weights" && [ ! -e "$tmp/x.npz" ]'
run $G stats mock $DATA --weights "$tmp/nothere.safetensors" --db "$db" --out "$tmp/x.npz"
check "stats: a missing weights file (1), named, nothing written" \
    eval 'rc_is 1 && err_has "$tmp/nothere.safetensors" && [ ! -e "$tmp/x.npz" ]'
ck1=$(q "SELECT path FROM artifacts WHERE run_id = 1 AND kind = 'checkpoint' ORDER BY id DESC")
run $G stats mock $DATA --weights "$ck1" --db "$db" --out "$tmp/x.npz"
check "stats: the classifier's checkpoint as Inception weights: refused, named" \
    eval 'rc_is 1 && err_has "$ck1" && [ ! -e "$tmp/x.npz" ]'
run $G stats mock dataset.size=8 --extractor classifier --weights 1 --db "$db" --out "$tmp/x.npz"
check "stats: 8 x 8 images for a classifier of 28 x 28 ones: refused, naming both shapes" \
    eval 'rc_is 1 && err_has "takes (N, 1, 28, 28)" && err_has "(50, 1, 8, 8)" && [ ! -e "$tmp/x.npz" ]'
echo "not a zip" >"$tmp/broken.npz"
run $G fid "$tmp/broken.npz" "$tmp/a.npz"
check "fid: an unreadable .npz (1), named" eval 'rc_is 1 && err_has "$tmp/broken.npz"'
run $G fid "$tmp/a.npz" "$tmp/nothere.npz"
check "fid: a side that is nothing known (2)" eval 'rc_is 2 && err_has "nothere.npz"'
run $G score 2 --db "$db" --metric classifier-fid,lpips
check "score: an unknown score (2), listing the known ones" \
    eval 'rc_is 2 && err_has "unknown score '"'lpips'"'" && err_has "classifier-fid"'
run $G score 2 --db "$db" --metric classifier-fid
check "score: classifier-fid without weights (2)" eval 'rc_is 2 && err_has "classifier.weights"'
run $G score 2 --db "$db" --metric classifier-fid classifier.wieghts=1
check "score: a misspelt key (2), with a suggestion" \
    eval 'rc_is 2 && err_has "classifier.wieghts" && err_has "did you mean"'
run $G score 2 --db "$db" --metric classifier-fid foo.bar=1
check "score: a key of another scope (2)" eval 'rc_is 2 && err_has "foo.bar"'
run $G stats nosuch --out "$tmp/x.npz" --db "$db"
check "stats: neither a directory nor a dataset (2)" eval 'rc_is 2 && err_has "nosuch"'
run $G score 2 --db "$tmp/none.db" --metric classifier-fid classifier.weights=1
check "score: no store: fails without creating one" eval 'rc_is 1 && [ ! -e "$tmp/none.db" ]'

# ---- Fashion-MNIST ----

fm=/usr/share/datasets/fashion-mnist
if [ -f "$fm/t10k-images-idx3-ubyte.gz" ]; then
    run $G stats idx:test -n 300 --extractor classifier --weights 1 --db "$db" --out "$tmp/fm.npz"
    check "stats of Fashion-MNIST's test split: keyed by its files' identity" \
        eval 'rc_is 0 && out_has "of 300 images of idx (test split, 10000 images, idx:sha256:"'
    run $G fid "$tmp/fm.npz" idx:test -n 300 --extractor classifier --weights 1 --db "$db"
    check "fid of Fashion-MNIST against its own statistics: ~0" eval 'rc_is 0 && below 1e-6'
else
    skip "Fashion-MNIST statistics" "no $fm"
fi

# ---- help ----

for c in stats score fid; do
    run $G "$c" --help
    check "$c --help" eval 'rc_is 0 && out_has "usage: genlab $c"'
done
run $G --help
check "genlab --help lists stats, score and fid" \
    eval 'out_has "  stats " && out_has "  score " && out_has "  fid "'

summary
