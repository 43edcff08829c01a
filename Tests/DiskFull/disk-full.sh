#!/usr/bin/env bash
# `make test`'s full-disk check: a run writing to a 1 MiB tmpfs fails at its second checkpoint
# with one line naming the file and "No space left on device", leaves no half-written file
# (`*.tmp`) and a run.json that says `failed` with that error; once the disk has room,
# `ranklab run --resume` continues from the checkpoint that fitted, to exactly the metrics an
# uninterrupted run writes. Needs root (mount); a mount that cannot be made fails the test.
# Usage: Tests/DiskFull/disk-full.sh [RANKLAB_BINARY]   (default .build/debug/ranklab)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$here/.build/debug/ranklab}
fail() { echo "disk-full test FAILED: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "no ranklab binary at $bin (swift build first)"
[ "$(id -u)" = 0 ] || fail "needs root to mount a small tmpfs"

work=$(mktemp -d /tmp/ranklab-disk-full.XXXXXX)
disk=$work/disk
mkdir -p "$disk"
cleanup() { umount "$disk" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mount -t tmpfs -o size=1m tmpfs "$disk" || fail "cannot mount a tmpfs at $disk"

config=$here/Configs/dqn-gridworld.yaml
settings=(--set steps=6000 --set checkpoint.every=2000 --set eval.every=2000 --quiet)
set +e
"$bin" run "$config" --seed 0 --out "$disk/runs" "${settings[@]}" 2>"$work/stderr"
status=$?
set -e
[ "$status" != 0 ] || fail "the run on a full disk exited 0"
lines=$(grep -c . "$work/stderr" || true)
[ "$lines" = 1 ] || fail "expected one line of error, got $lines: $(cat "$work/stderr")"
grep -q "cannot write $disk/runs/0/checkpoint/step-.*No space left on device" "$work/stderr" ||
  fail "the error does not name the checkpoint and the cause: $(cat "$work/stderr")"
leftovers=$(find "$disk" -name '*.tmp' | wc -l)
[ "$leftovers" = 0 ] || fail "half-written files left: $(find "$disk" -name '*.tmp')"
grep -q '"status" : "failed"' "$disk/runs/0/run.json" || fail "run.json does not say failed"
grep -q 'No space left on device' "$disk/runs/0/run.json" || fail "run.json lacks the error"
kept=$(find "$disk/runs/0/checkpoint" -name 'step-*.rlck' | wc -l)
[ "$kept" -ge 1 ] || fail "no checkpoint kept"

mount -o remount,size=64m "$disk" || fail "cannot enlarge the tmpfs"
"$bin" run --resume "$disk/runs/0" --quiet || fail "the resume after freeing space failed"
grep -q '"status" : "finished"' "$disk/runs/0/run.json" || fail "the resumed run did not finish"
"$bin" run "$config" --seed 0 --out "$work/reference" "${settings[@]}" ||
  fail "the reference run failed"
strip() { sed -E 's/,"(time\/steps_per_s|replay\/sample_us)":[^,}]*//g' "$1"; }
cmp -s <(strip "$disk/runs/0/metrics.jsonl") <(strip "$work/reference/0/metrics.jsonl") ||
  fail "the resumed run's metrics differ from an uninterrupted run's"
echo "disk-full test passed: one-line error, nothing half-written, resumed to the same metrics"
