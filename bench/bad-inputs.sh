#!/usr/bin/env bash
# Tries every kind of bad input on the built recloss and prints docs/RELIABILITY.md: each input, the exit code and the
# first line of the answer. Fails (exit 1) when any answer is a crash: a stack trace, an unhandled exception, exit 70
# (the catch-all) or an exit code other than 0, 2, 3 and 5.
# Usage: bash bench/bad-inputs.sh > docs/RELIABILITY.md   (builds the CLI first unless RECLOSS_DLL is set)
set -uo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${RECLOSS_DLL:-}" ]]; then
  dotnet build src/RecLoss.Cli -c Release >/dev/null || { echo "build failed" >&2; exit 1; }
  RECLOSS_DLL=src/RecLoss.Cli/bin/Release/net10.0/recloss.dll
fi
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
Q=(--epochs 1 --negatives 3 --dim 8 --batch-size 4096)

split() { mkdir -p "$D/$1"; printf "$2" > "$D/$1/train.txt"; printf "$3" > "$D/$1/test.txt"; }
split ok "0 1 2\n1 2 3\n2 0 3\n" "0 3\n1 0\n2 1\n"
split empty "" "0 1\n"; split blank " \n\n\t\n" "0 1\n"; split usersonly "0\n1\n" "0 1\n"
split word "0 1 2\n1 2 x7\n" "0 3\n"; split negative "0 1\n" "0 2\n-1 3\n"; split huge "0 1\n99999999999 2\n" "0 1\n"
split sparse "0 1 2100000000\n2000000000 1 5\n" "0 5\n"; split bom "\xef\xbb\xbf0 1 2\n1 2 3\n" "\xef\xbb\xbf0 3\n1 0\n"
split cr "0 1 2\r1 2 3\r" "0 3\r1 0\r"; split nul "0 1\x00\x02\n" "0 1\n"; split badutf "0 1 \xff\xfe\n" "0 1\n"
split notest "0 1 2\n1 2 3\n2 0\n" ""; split every "0 0 1 2\n1 0\n" "1 1\n"; split tabs "0\t1\t2\n1\t2\n" "0\t3\n"
split long "0 1 $(head -c 20000 /dev/zero | tr '\0' '7')\n" "0 1\n"
mkdir -p "$D/notrain"; printf "0 1\n" > "$D/notrain/test.txt"
mkdir -p "$D/notestfile"; printf "0 1\n" > "$D/notestfile/train.txt"
csv() { printf "$2" > "$D/$1"; }
csv ok.csv "user_id,item_id\nu1,i1\nu1,i2\nu2,i1\nu2,i3\nu3,i2\nu3,i3\n"; csv empty.csv ""; csv header.csv "user_id,item_id\n"
csv nocol.csv "user,movie\n1,2\n"; csv fields.csv "user_id,item_id\nu1,i1,x\n"; csv rating.csv "user_id,item_id,rating\nu1,i1,five\n"
csv nanrating.csv "user_id,item_id,rating\nu1,i1,NaN\n"; csv stamp.csv "user_id,item_id,ts\nu1,i1,yesterday\n"
csv quoted.csv "user_id,item_id\nu1,\"i\n1\"\nu1,i2\nu2,i1\nu2,i3\n"; csv unclosed.csv "user_id,item_id\nu1,\"i1\nu1,i2\n"
csv latin1.csv "user_id,item_id\nu1,caf\xe9\n"; csv bom.csv "\xef\xbb\xbfuser_id,item_id\nu1,i1\nu1,i2\nu2,i1\n"
csv cr.csv "user_id,item_id\ru1,i1\ru1,i2\ru2,i1\r"; csv utf16.csv "\xff\xfeu\x00s\x00e\x00r\x00"; csv low.csv "user_id,item_id,rating\nu1,i1,1\nu2,i2,2\n"
csv emptyid.csv "user_id,item_id\nu1,\n"; csv every.csv "user_id,item_id\nalice,x\nalice,y\nalice,z\nbob,x\nbob,y\nalice,w\ncarol,w\n"
csv blankhead.csv "\nuser_id,item_id\nu1,i1\n"
csv midquote.csv "user_id,item_id,title\nu1,i1,12\" vinyl\nu2,i2,7\" single\nu3,i3,cd\n"; csv afterquote.csv "user_id,item_id\nu1,\"i1\"x\n"
csv duphead.csv "user_id,item_id,x,x\nu1,i1,a,b\n"; csv emptyhead.csv "user_id,item_id,,\nu1,i1,a,b\n"
mkdir -p "$D/dirtrain/train.txt"; printf "0 1\n" > "$D/dirtrain/test.txt"; mkdir -p "$D/blocked/run.json"
printf "0 1\n" > "$D/afile"; mkdir -p "$D/existing"; echo '{}' > "$D/existing/run.json"

rows=0 crashes=0
table=""
try() {
  local label="$1"; shift
  local err code first verdict
  err=$(timeout 120 dotnet "$RECLOSS_DLL" "$@" 2>&1 >/dev/null); code=$?
  first=$(printf '%s' "$err" | grep -m1 -v '^\s*$' | cut -c1-160)
  verdict=ok
  if [[ "$err" == *"   at "* || "$err" == *"Unhandled exception"* || ! " 0 2 3 5 " == *" $code "* ]]; then verdict=CRASH; crashes=$((crashes + 1)); fi
  rows=$((rows + 1))
  first=${first//|/\\|}; first=${first//$D\//}
  table+="| $rows | $label | \`recloss ${*//$D\//}\` | $code | ${first:-(nothing on stderr)} | $verdict |"$'\n'
}

# Command-line syntax
try "no arguments"
try "unknown command" frob
try "unknown option" train --bogus 1
try "misspelt option" train --negativs 5
try "option without its value" train --epochs
try "option given twice" train --epochs 1 --epochs 2
try "stray argument" train extra
try "empty value" train --epochs ""
try "not a number" train --lr abc
try "NaN" train --lr NaN
try "infinity" train --lr Infinity
try "exponent for an integer" train --epochs 1e3
try "empty list item" train --ks 10,,20
try "K of 0" train --ks 0,20
try "non-numeric margin" train --margins 0.6,x
try "margins and weights of different lengths" train --margins 0.6,0.7 --margin-weights 1
try "unknown loss" train --loss nope
try "option of another loss" train --loss ccl --temperature 1
try "unknown score" train --score hamming
try "score a loss cannot use" train --loss triplet --score dot
try "mixture shares not summing to 1" train --sampler hard:0.5,uniform:0.4
try "empty sampler" train --sampler ""
try "two-character delimiter" stats --data "$D/ok.csv" --delimiter ab
try "quote as delimiter" stats --data "$D/ok.csv" --delimiter '"'
try "non-ASCII delimiter" stats --data "$D/ok.csv" --delimiter é
try "control character as delimiter" stats --data "$D/ok.csv" --delimiter $'\x01'
try "missing response file" train @"$D/nofile.rsp"
try "an empty value after a given one" train --epochs 2 --epochs=
try "a flag given twice" train --exclude-positives --exclude-positives
try "empty --data" train --data ""
try "help for an unknown command" help frob
try "unsupported shell" completion fish
# Values out of range, overflowing, or meaningless
try "batch of 0" train --batch-size 0
try "batch near int.MaxValue" train --batch-size 2147483647
try "no negatives" train --negatives 0
try "too many negatives" train --negatives 100001
try "a step too large to hold" train --negatives 100000
try "huge hard-candidate count" train --sampler hard --hard-candidates 2147483647
try "hard candidates fewer than kept" train --sampler hard --hard-candidates 5
try "dimension 0" train --dim 0
try "dimension 100000" train --dim 100000
try "zero init std" train --init-std 0
try "negative init std" train --init-std -1
try "dropout 1" train --dropout 1
try "beta1 1" train --beta1 1
try "zero epochs" train --epochs 0
try "epochs beyond int" train --epochs 99999999999
try "negative threads" train --threads -1
try "negative seed" train --seed -1
try "in-batch with a batch of 1" train --sampler in-batch --batch-size 1
try "in-batch-all whose last batch holds one row (71,687 rows = 73 x 982 + 1)" train --sampler in-batch-all --batch-size 982
try "per-epoch draw too large to hold" train --draw-negatives per-epoch --negatives 60000 --batch-size 16
try "per-epoch in-batch" train --sampler in-batch --draw-negatives per-epoch
try "bench: second configuration too large per epoch" bench --negatives 1,60000 --draw-negatives per-epoch --batch-size 16 --epochs 1 --skip-machine
try "batch x dimension too large" train --batch-size 1048576 --dim 4096 --negatives 1
try "margin outside [-1, 1]" train --margins 5 --margin-weights 1
try "negative margin weight" train --margin-weights -1,1,1,1
try "a mixture share that rounds to no slot" train --sampler hard:0.01,uniform:0.99 --negatives 3
try "validation ratio 1" train --validation-ratio 1
try "train ratio 0" stats --data "$D/ok.csv" --train-ratio 0
try "popularity exponent 11" train --sampler popularity --popularity-alpha 11
try "false-negative ratio 2" train --false-negative-ratio 2
try "noise ratio -1" train --noisy-positive-ratio -1
try "unknown encoder" train --encoder gru
try "an option of another encoder" train --layers 2
try "SimpleX's g out of range" train --encoder simplex --simplex-gamma 1.5
try "padding without attention" train --encoder simplex --attention-padding reference
try "pooled positives with the generic trainer" train --encoder lightgcn --loss bsl --pool-positives
try "too many layers" train --encoder lightgcn --layers 9
# Options that a run would ignore
try "bench: --ks" bench --ks 10
try "bench: --patience" bench --patience 2
try "bench: --select-on" bench --select-on test
try "--select-on without --patience" train --select-on test
try "--patience without a validation split" train --patience 2
try "--plateau-min-lr without --plateau-factor" train --plateau-min-lr 1e-5
try "--select-metric not a metric" train --select-metric mrr
try "--plateau-factor of 1" train --plateau-factor 1
try "--plateau-factor without a validation split" train --plateau-factor 0.1
try "--split-seed on a split folder" stats --data "$D/ok" --split-seed 3
try "--data-seed with --data" train --data "$D/ok" --data-seed 3
try "delimited option without --data" train --train-ratio 0.5
try "delimited option on a split folder" stats --data "$D/ok" --rating-column r
try "--force without --out" train --force
try "--rating-threshold without a column" stats --data "$D/ok.csv" --rating-threshold 3
try "temporal split without timestamps" stats --data "$D/ok.csv" --split temporal
try "popularity exponent without popularity" train --popularity-alpha 0.5
try "timestamps with a random split" stats --data "$D/ok.csv" --timestamp-column ts
try "--split-seed with a temporal split" stats --data "$D/ok.csv" --split temporal --timestamp-column ts --split-seed 3
try "--exclude-positives with hard negatives only" train --sampler hard --exclude-positives
try "--exclude-positives with false negatives" train --exclude-positives --false-negative-ratio 0.5
try "false-negative weight -1" train --false-negative-weight -1
try "false-negative weight with popularity draws" train --false-negative-weight 2 --sampler popularity
try "training option on stats" stats --data "$D/ok" --epochs 5
# Split folders
try "no such path" stats --data "$D/missing"
try "folder without train.txt" stats --data "$D/notrain"
try "folder without test.txt" stats --data "$D/notestfile"
try "train.txt is a folder" stats --data "$D/dirtrain"
try "empty train.txt" train --data "$D/empty" "${Q[@]}"
try "whitespace-only train.txt" train --data "$D/blank" "${Q[@]}"
try "users without items" train --data "$D/usersonly" "${Q[@]}"
try "a word as an item id" stats --data "$D/word"
try "negative id" stats --data "$D/negative"
try "id beyond int" stats --data "$D/huge"
try "sparse ids up to 2.1 billion (legal)" train --data "$D/sparse" "${Q[@]}"
try "byte-order marks (legal)" stats --data "$D/bom"
try "CR-only line endings (legal)" stats --data "$D/cr"
try "tabs as separators (legal)" stats --data "$D/tabs"
try "NUL byte" stats --data "$D/nul"
try "invalid UTF-8 in an id" stats --data "$D/badutf"
try "20,000-byte token" stats --data "$D/long"
try "empty test.txt (legal: n/a)" train --data "$D/notest" "${Q[@]}"
try "a binary file as data" stats --data /bin/ls
try "/dev/null as data" stats --data /dev/null
# Delimited files
try "empty CSV" stats --data "$D/empty.csv"
try "header only" stats --data "$D/header.csv"
try "blank first line" stats --data "$D/blankhead.csv"
try "missing column" stats --data "$D/nocol.csv"
try "extra field" stats --data "$D/fields.csv"
try "empty id" stats --data "$D/emptyid.csv"
try "text rating" stats --data "$D/rating.csv" --rating-column rating
try "NaN rating" stats --data "$D/nanrating.csv" --rating-column rating
try "text timestamp" stats --data "$D/stamp.csv" --timestamp-column ts --split temporal
try "every rating below the threshold" stats --data "$D/low.csv" --rating-column rating
try "quoted field with a line break (legal)" stats --data "$D/quoted.csv"
try "unclosed quote" stats --data "$D/unclosed.csv"
try "Latin-1 byte" stats --data "$D/latin1.csv"
try "UTF-16 file" stats --data "$D/utf16.csv"
try "byte-order mark (legal)" stats --data "$D/bom.csv"
try "CR-only line endings (legal)" stats --data "$D/cr.csv"
try "a quote inside an unquoted field" stats --data "$D/midquote.csv" --train-ratio 0.5
try "text after a closing quote" stats --data "$D/afterquote.csv"
try "a repeated column name" stats --data "$D/duphead.csv"
try "empty column names" stats --data "$D/emptyhead.csv"
# Data and options together
try "a user with every item, positives excluded" train --data "$D/every" --exclude-positives "${Q[@]}"
try "a user with every item, in bench" bench --data "$D/every" --exclude-positives --negatives 3 --epochs 1 --skip-machine
try "the same by string id" train --data "$D/every.csv" --train-ratio 0.99 --exclude-positives "${Q[@]}"
try "a user with every item, hard negatives" train --data "$D/every" --sampler hard "${Q[@]}"
try "more noise than a user has free items" train --data "$D/every" --noisy-positive-ratio 5 "${Q[@]}"
try "patience on an empty test split" train --data "$D/notest" --select-on test --patience 2 "${Q[@]}"
try "plateau on an empty test split" train --data "$D/notest" --select-on test --plateau-factor 0.1 "${Q[@]}"
# Output
try "--out is a file" train --out "$D/afile" "${Q[@]}"
try "--out under a file" train --out "$D/afile/run" "${Q[@]}"
try "--out empty" train --out "" "${Q[@]}"
try "--out in /proc" train --out /proc/recloss "${Q[@]}"
try "--out holds a run.json" train --out "$D/existing" "${Q[@]}"
try "--out/run.json is a folder" train --out "$D/blocked" --force "${Q[@]}"
try "K of 1000 (legal: the table keeps one line per row)" train --ks 10,1000 --select-k 10 "${Q[@]}"
try "--out holds a run.json, --force (legal)" train --out "$D/existing" --force "${Q[@]}"
# Saved models: saving, loading, looking up ids
dotnet "$RECLOSS_DLL" train --save "$D/model.rlm" "${Q[@]}" > /dev/null 2>&1
M="$D/model.rlm"
head -c 1000 "$M" > "$D/truncated.rlm"; cp "$M" "$D/flipped.rlm"; printf '\x55' | dd of="$D/flipped.rlm" bs=1 seek=5000 conv=notrunc 2>/dev/null
printf 'user_id\n' > "$D/noids.txt"; printf '1\n2\nnobody\n' > "$D/someids.txt"
try "--save onto an existing model" train --save "$M" "${Q[@]}"
try "--save is a folder" train --save "$D/existing" "${Q[@]}"
try "--save-optimizer without --save" train --save-optimizer "${Q[@]}"
try "--model missing" recommend --user 1
try "--model does not exist" recommend --model "$D/nothing.rlm" --user 1
try "--model is a folder" recommend --model "$D/existing" --user 1
try "--model is a JSON file" recommend --model "$D/existing/run.json" --user 1
try "--model truncated" recommend --model "$D/truncated.rlm" --user 1
try "--model with a flipped byte" recommend --model "$D/flipped.rlm" --user 1
try "no user given" recommend --model "$M"
try "two kinds of user given" recommend --model "$M" --user 1 --all
try "unknown user" recommend --model "$M" --user nobody
try "unknown item in --history" recommend --model "$M" --history 1,nothing
try "empty --history" recommend --model "$M" --history ,
try "--k 0" recommend --model "$M" --user 1 --k 0
try "--k beyond the limit" recommend --model "$M" --user 1 --k 100000
try "--exclude something" recommend --model "$M" --user 1 --exclude everything
try "--format table for all users" recommend --model "$M" --all --format table
try "--users file missing" recommend --model "$M" --users "$D/nothing.txt"
try "--users with unknown ids (legal: skipped, named)" recommend --model "$M" --users "$D/someids.txt"
try "--allow with no known item (legal: named, nothing left)" recommend --model "$M" --user 1 --allow "$D/noids.txt"
try "--output under a file" recommend --model "$M" --user 1 --output "$D/afile/out.csv"
try "unknown item for similar" similar --model "$M" --item nothing
try "similar without --item" similar --model "$M"
QI=(--epochs 1 --negatives 3 --batch-size 4096)
try "--init from a damaged model" train --init "$D/truncated.rlm" "${QI[@]}"
try "--init with an encoder option" train --init "$M" --dim 16 "${QI[@]}"
try "--init on other data" train --init "$M" --data "$D/ok" "${QI[@]}"
try "evaluate a damaged model" evaluate --model "$D/flipped.rlm"
try "evaluate on data without a test split" evaluate --model "$M" --data "$D/notest"
try "serve a damaged model" serve --model "$D/truncated.rlm" --port 0
try "serve on a port beyond 65535" serve --model "$M" --port 70000
try "loadtest at another machine" loadtest --model "$M" --url http://192.0.2.1:5000
try "loadtest with no service" loadtest --model "$M" --url http://127.0.0.1:9 --duration 1

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cat <<DOC
# Reliability: bad inputs and their answers

Generated by \`bash bench/bad-inputs.sh > docs/RELIABILITY.md\` at commit $commit on $(date -u +%Y-%m-%d) ($(nproc) cores,
$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)). Each row runs the built \`recloss\` once; paths are relative to
the script's temporary folder. Exit codes: 0 done, 2 usage error, 3 data error, 5 output error; 70 would be the
catch-all for an unexpected exception (a bug), which no input reaches. CI runs this script and fails on any crash.

**$rows inputs, $crashes crashes** (a crash: a stack trace, an unhandled exception, or an exit code other than 0, 2, 3, 5).

| # | input | command | exit | first line of the answer | verdict |
|---|---|---|---|---|---|
$table
DOC
[[ $crashes -eq 0 ]]
