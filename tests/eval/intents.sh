#!/usr/bin/env bash
# eval-intents: how well the intent classifier learns.
#  1. our data: a fixed-seed, stratified 80/20 split of
#     services/intent-classifier/data/intents.tsv (accuracy, macro-F1), and
#     the whole of it against tests/eval/intents_probe.tsv (messages written
#     separately, never trained on);
#  2. public data: the Bitext customer-support set (read at run time from
#     ../shared/data, never copied into the repo), trained on its `train` rows
#     and tested on its `test` rows, side by side with fastText on the same
#     split (accuracy, macro-F1, time per message).
# Prints a markdown table. Run from the repo root: make eval-intents.
set -euo pipefail

BUILD=${BUILD:-build}
BITEXT=${BITEXT:-../shared/data/bitext/customer_support_intents.tsv}
DATA=services/intent-classifier/data/intents.tsv
SEED=${SEED:-1}
TRAIN=$BUILD/bin/intent-train
CLASSIFY=$BUILD/bin/intent-classifier
WORK=$BUILD/eval
mkdir -p "$WORK"

for b in "$TRAIN" "$CLASSIFY"; do
	[ -x "$b" ] || { echo "eval-intents: $b is missing (make all first)" >&2; exit 1; }
done

# "held-out rows=N accuracy=A macro_f1=F us_per_msg=U" -> value of key $2
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
now_ns() { date +%s%N; }
# per_msg_us N OUT ONE ALL CMD...: microseconds per message of CMD reading
# ALL (N lines) on stdin, minus a run over ONE (one line: start-up and model
# load), the fastest of three tries each; the output of ALL goes to OUT.
per_msg_us() {
	local n=$1 out=$2 one=$3 all=$4 best_one=0 best_all=0 t0 t1 i
	shift 4
	for i in 1 2 3; do
		t0=$(now_ns); "$@" <"$one" >/dev/null; t1=$(now_ns)
		if [ "$best_one" = 0 ] || [ $((t1 - t0)) -lt "$best_one" ]; then best_one=$((t1 - t0)); fi
		t0=$(now_ns); "$@" <"$all" >"$out"; t1=$(now_ns)
		if [ "$best_all" = 0 ] || [ $((t1 - t0)) -lt "$best_all" ]; then best_all=$((t1 - t0)); fi
	done
	awk -v a="$best_one" -v b="$best_all" -v n="$n" 'BEGIN { v = (b - a) / 1000 / n; printf "%.2f", v < 0 ? 0 : v }'
}

echo "== our data: stratified 80/20 split, seed $SEED" >&2
own=$("$TRAIN" --quiet --in "$DATA" --holdout 0.2 --seed "$SEED")
own_rows=$(field "$own" rows)
own_acc=$(field "$own" accuracy)
own_f1=$(field "$own" macro_f1)
own_us=$(field "$own" us_per_msg)
own_cs=$(field "$own" confident_share)
own_ca=$(field "$own" confident_accuracy)
PROBE=tests/eval/intents_probe.tsv
probe=$("$TRAIN" --quiet --in "$DATA" --test "$PROBE" --seed "$SEED")
probe_rows=$(field "$probe" rows)
probe_acc=$(field "$probe" accuracy)
probe_f1=$(field "$probe" macro_f1)
probe_us=$(field "$probe" us_per_msg)
probe_cs=$(field "$probe" confident_share)
probe_ca=$(field "$probe" confident_accuracy)

if [ ! -r "$BITEXT" ]; then
	echo "eval-intents: $BITEXT not found; only our data was evaluated" >&2
	echo
	echo "| data | model | test rows | accuracy | macro-F1 | µs/message |"
	echo "|---|---|---:|---:|---:|---:|"
	echo "| ours (80/20, seed $SEED) | intent-train | $own_rows | $own_acc | $own_f1 | $own_us |"
	echo "| ours (all) → probe set | intent-train | $probe_rows | $probe_acc | $probe_f1 | $probe_us |"
	exit 0
fi

echo "== Bitext: train split -> test split" >&2
# columns: split intent category entity_type entity_value tags text
awk -F'\t' 'NR > 1 && $1 == "train" { print $2 "\t" $7 }' "$BITEXT" >"$WORK/bitext_train.tsv"
awk -F'\t' 'NR > 1 && $1 == "test" { print $2 "\t" $7 }' "$BITEXT" >"$WORK/bitext_test.tsv"
cut -f2 "$WORK/bitext_test.tsv" >"$WORK/bitext_test.txt"
head -n 1 "$WORK/bitext_test.txt" >"$WORK/one.txt"
n_test=$(wc -l <"$WORK/bitext_test.tsv")

bt=$("$TRAIN" --quiet --in "$WORK/bitext_train.tsv" --test "$WORK/bitext_test.tsv" --seed "$SEED" \
	--out "$WORK/bitext.model")
bt_acc=$(field "$bt" accuracy)
bt_f1=$(field "$bt" macro_f1)
bt_us=$(field "$bt" us_per_msg)
bt_cs=$(field "$bt" confident_share)
bt_ca=$(field "$bt" confident_accuracy)
# The same through the command line, start-up and model load subtracted,
# measured the way fastText is measured below.
# timing runs over the test messages ten times, so start-up noise averages out
for i in 1 2 3 4 5 6 7 8 9 10; do cat "$WORK/bitext_test.txt"; done >"$WORK/bitext_test_x10.txt"
INTENT_MODEL="$WORK/bitext.model" "$CLASSIFY" --classify <"$WORK/bitext_test.txt" >"$WORK/ours.pred"
bt_cli_us=$(per_msg_us $((n_test * 10)) /dev/null "$WORK/one.txt" "$WORK/bitext_test_x10.txt" \
	env INTENT_MODEL="$WORK/bitext.model" "$CLASSIFY" --classify)

echo "== fastText on the same split" >&2
if ! command -v fasttext >/dev/null; then
	echo "eval-intents: installing Debian's fasttext" >&2
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y fasttext >&2 || { apt-get update >&2 && apt-get install -y fasttext >&2; }
	else
		sudo apt-get install -y fasttext >&2
	fi
fi
# fastText splits on whitespace only: give it lower-cased text with
# punctuation split off, so it sees the words our tokenizer sees.
ft_prep() { awk -F'\t' '{ t = tolower($2); gsub(/[^a-z0-9 ]/, " &", t); print "__label__" $1 " " t }' "$1"; }
ft_prep "$WORK/bitext_train.tsv" >"$WORK/ft_train.txt"
ft_prep "$WORK/bitext_test.tsv" >"$WORK/ft_test.txt"
sed 's/^__label__[^ ]* //' "$WORK/ft_test.txt" >"$WORK/ft_test_text.txt"
head -n 1 "$WORK/ft_test_text.txt" >"$WORK/ft_one.txt"
FT_ARGS="-epoch 25 -wordNgrams 2 -minn 3 -maxn 5 -dim 50 -bucket 262144 -thread 1 -seed $SEED"
# shellcheck disable=SC2086
fasttext supervised -input "$WORK/ft_train.txt" -output "$WORK/ft" $FT_ARGS -verbose 0 >&2
for i in 1 2 3 4 5 6 7 8 9 10; do cat "$WORK/ft_test_text.txt"; done >"$WORK/ft_test_x10.txt"
fasttext predict "$WORK/ft.bin" "$WORK/ft_test_text.txt" >"$WORK/ft.pred"
ft_us=$(per_msg_us $((n_test * 10)) /dev/null "$WORK/ft_one.txt" "$WORK/ft_test_x10.txt" \
	fasttext predict "$WORK/ft.bin" -)
# accuracy and macro-F1 from (truth, prediction) pairs
metrics() {
	awk '{ t = $1; p = $2; labels[t] = 1; labels[p] = 1; n++
	       if (t == p) { ok++; tp[t]++ } else { fp[p]++; fn[t]++ } }
	     END { for (l in labels) { d = 2 * tp[l] + fp[l] + fn[l]; if (d > 0) { f += 2 * tp[l] / d; k++ } }
	           printf "%.4f %.4f\n", ok / n, f / k }'
}
read -r ft_acc ft_f1 < <(paste -d' ' <(cut -f1 "$WORK/bitext_test.tsv") <(sed 's/^__label__//' "$WORK/ft.pred") | metrics)
read -r cli_acc _ < <(paste -d' ' <(cut -f1 "$WORK/bitext_test.tsv") <(cut -f1 "$WORK/ours.pred") | metrics)
if [ "$cli_acc" != "$bt_acc" ]; then
	echo "eval-intents: intent-classifier --classify disagrees with intent-train ($cli_acc vs $bt_acc)" >&2
	exit 1
fi

echo
echo "| data | model | test rows | accuracy | macro-F1 | confidence ≥ 0.5: share / accuracy | µs/message (in process) | µs/message (CLI, start-up subtracted) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
echo "| ours (stratified 80/20, seed $SEED) | intent-train | $own_rows | $own_acc | $own_f1 | $own_cs / $own_ca | $own_us | |"
echo "| ours (all) → tests/eval/intents_probe.tsv | intent-train | $probe_rows | $probe_acc | $probe_f1 | $probe_cs / $probe_ca | $probe_us | |"
echo "| Bitext train → test | intent-train | $n_test | $bt_acc | $bt_f1 | $bt_cs / $bt_ca | $bt_us | $bt_cli_us |"
echo "| Bitext train → test | fastText 0.9.2 (\`$FT_ARGS\`) | $n_test | $ft_acc | $ft_f1 | | | $ft_us |"

# The targets of the issue: at least fastText's accuracy and >= 0.97 on
# Bitext, <= 50 us per message.
awk -v a="$bt_acc" -v f="$ft_acc" -v u="$bt_us" 'BEGIN {
	bad = 0
	if (a < f) { print "eval-intents: accuracy below fastText" > "/dev/stderr"; bad = 1 }
	if (a < 0.97) { print "eval-intents: accuracy below 0.97" > "/dev/stderr"; bad = 1 }
	if (u > 50) { print "eval-intents: slower than 50 us per message" > "/dev/stderr"; bad = 1 }
	exit bad }'
