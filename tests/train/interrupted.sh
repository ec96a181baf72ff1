#!/bin/sh
# arpg-train when things go wrong: a signal in the middle of training,
# resumes that cannot go on, models that are not usable, unlabelled clips.
. "${top_srcdir:-.}/tests/tap.sh"
MC="${top_builddir:-.}/tests/train/make_cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/arpg-train-int.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
plan 14

strip_time() { sed 's/"seconds":[0-9.]*,//'; }

# Starts arpg-train "$@" in the background (stderr to bg.err) and waits
# until it has finished epoch $1; sets pid.
start_until_epoch() {
	e=$1
	shift
	: >bg.err	# here, not in the child: the loop must not read the last run's
	arpg-train "$@" >bg.out 2>>bg.err &
	pid=$!
	i=0
	while ! grep -q "epoch $e/" bg.err && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# start_until_epoch $1, then sends signal $2; sets status.
signal_after_epoch() {
	e=$1 sig=$2
	shift 2
	start_until_epoch "$e" "$@"
	kill -"$sig" $pid
	wait $pid
	status=$?
}

"$MC" c --clips 120 --val 40 --classes 3 --frames 6 --grid 2 --app-dim 12 --patch-dim 8 \
	--signal 0.4 --seed 3 >/dev/null
arpg-train c --epochs 30 --dim 16 -q --save straight.arpg >/dev/null

signal_after_epoch 3 INT c --epochs 1000000 --dim 16 --save m.arpg
test $status = 130 && grep -q 'stopped by SIGINT in epoch [0-9]* of 1000000: saved the model after epoch [0-9]* to m.arpg; go on with --resume m.arpg' bg.err
ok $? "SIGINT stops training with exit 130 and saves the last finished epoch"
done_epochs=$(sed -n 's/.*saved the model after epoch \([0-9]*\).*/\1/p' bg.err)
# the signal lands when the polling loop sees epoch 3, which on a busy
# machine may be dozens of epochs later: count from where it stopped
n=$((${done_epochs:-0} + 10))
arpg-train c --epochs $n --dim 16 -q --save straight_n.arpg >/dev/null &&
	arpg-train c --epochs $n --dim 16 -q --resume m.arpg --save m.arpg >/dev/null &&
	cmp -s m.arpg straight_n.arpg
ok $? "resumed after epoch $done_epochs, it ends byte-identical to an uninterrupted run"

signal_after_epoch 2 TERM c --epochs 1000000 --dim 16 --save t.arpg
test $status = 143 && grep -q 'stopped by SIGTERM' bg.err && test -s t.arpg
ok $? "SIGTERM: exit 143, and a model"
signal_after_epoch 1 TERM c --epochs 1000000 --dim 16
test $status = 143 && grep -q 'nothing saved (no --save)' bg.err
ok $? "without --save it says that nothing was saved"

# --save-every: killed outright, the file holds an even epoch
signal_after_epoch 5 KILL c --epochs 1000000 --dim 16 --save-every 2 --save p.arpg
saved=$(arpg-train c --load p.arpg | sed -n 's/.*"val":{"epoch":\([0-9]*\),.*/\1/p')
test $status = 137 && test "$saved" -ge 4 && test $((saved % 2)) = 0
ok $? "--save-every 2 leaves a model of an even epoch ($saved) after kill -9"
arpg-train c --save-every 2 >/dev/null 2>err
test $? = 2 && grep -q -- '--save-every needs --save' err
ok $? "--save-every without --save is a usage error"

# one trainer per model file
start_until_epoch 1 c --epochs 1000000 --dim 16 --save busy.arpg
arpg-train c --epochs 2 --dim 16 --save busy.arpg >/dev/null 2>err; s1=$?
kill -INT $pid
wait $pid
test $s1 = 1 && grep -q "busy.arpg: held by arpg-train (pid $pid)" err
ok $? "a second trainer saving to the same file is refused, naming the first"

cp straight.arpg s.arpg
arpg-train c --epochs 12 --dim 16 --resume s.arpg --save s.arpg >out 2>err
test $? = 1 && grep -q 'trained for 30 epochs already, and --epochs 12 counts from the start' err &&
	! test -s out && cmp -s s.arpg straight.arpg
ok $? "--resume with no epoch left is refused, the model untouched"
arpg-train c --epochs 20 --dim 32 --resume s.arpg >/dev/null 2>err; s1=$?
arpg-train c --epochs 20 --dim 16 --heads 2 --resume s.arpg >/dev/null 2>err2; s2=$?
test $s1 = 1 && grep -q 'trained with --dim 16, this run has 32' err &&
	test $s2 = 1 && grep -q 'trained with --heads 4, this run has 2' err2
ok $? "a resume that does not fit names the setting and both values"
arpg-train c --load missing.arpg >/dev/null 2>err
test $? = 1 && grep -q 'missing.arpg: cannot read it: No such file or directory' err
ok $? "a missing model file is named as missing"

# a parameter made NaN, the file's checksum made right again
python3 - <<'EOF'
import hashlib, struct
b = bytearray(open("straight.arpg", "rb").read())
text = struct.unpack_from("<I", b, 12)[0]
n = struct.unpack_from("<Q", b, 16 + text)[0]
struct.pack_into("<f", b, 16 + text + 8 + 4 * (n - 1), float("nan"))
b[-32:] = hashlib.sha256(bytes(b[:-32])).digest()
open("nan.arpg", "wb").write(bytes(b))
EOF
arpg-train c --load nan.arpg >/dev/null 2>err; s1=$?
arpg-train c --epochs 40 --dim 16 --resume nan.arpg >/dev/null 2>err2; s2=$?
test $s1 = 1 && grep -q 'nan.arpg: classifier b2 holds NaN' err && test $s2 = 1 &&
	grep -q 'classifier b2 holds NaN' err2
ok $? "a model with a NaN parameter is refused on --load and --resume, naming the tensor"

# unlabelled clips (AFEW's Test set): predicted with a model of labelled ones
"$MC" u --clips 30 --classes 3 --frames 6 --grid 2 --app-dim 12 --patch-dim 8 --unlabelled \
	>/dev/null
arpg-train u --load straight.arpg --predict >pred.tsv 2>err
test $? = 0 && test "$(wc -l <pred.tsv)" = 31 &&
	test "$(cut -f 2,3 pred.tsv | sort -u | tail -n 1)" = "$(printf 'test\t')" &&
	test "$(head -n 1 pred.tsv | cut -f 5-7)" = "$(printf 'p_Angry\tp_Disgust\tp_Fear')"
ok $? "--load --predict on a cache of unlabelled clips: a line per clip, the model's classes"
arpg-train u --load straight.arpg >/dev/null 2>err; s1=$?
arpg-train u --epochs 1 >/dev/null 2>err2; s2=$?
test $s1 = 1 && grep -q 'no labelled clips in split val.*use --predict' err &&
	test $s2 = 1 && grep -q 'its clips have no labels' err2
ok $? "evaluating or training on unlabelled clips says what to do instead"

arpg-train c --dim 100000 >/dev/null 2>err
test $? = 2 && grep -q -- "--dim: '100000' is not a number from 1 to 65536" err
ok $? "an out-of-range value is refused with its range"
