#!/bin/sh
# The distillation losses side by side on one task: teacher seed s (runs/<teacher>/s) into a
# student of seed s, for each loss and student width; prints one row per run.
# usage: bench/distill-losses.sh CONFIG TEACHER_EXPERIMENT "HIDDEN..." "LOSS..." [extra --set ...]
# e.g.   bench/distill-losses.sh Configs/distill-cartpole.yaml runs/dqn-cartpole "[32,32] [4]" "kl nll mse kd"
set -e
config=$1; teachers=$2; widths=$3; losses=$4; shift 4
bin=${RANKLAB:-.build-distill/release/ranklab}
name=$(basename "$config" .yaml)
for hidden in $widths; do
  for loss in $losses; do
    for seed in 0 1 2; do
      tag=$(echo "$hidden" | tr -d '[] ' | tr ',' 'x')
      out=runs/$name-losses/$loss-h${tag:-linear}
      "$bin" run "$config" --quiet --force --seed "$seed" --out "$out" \
        --set "agent.network.hidden=$hidden" --set "agent.distill.loss=$loss" \
        --set "agent.distill.teachers=[$teachers/$seed]" "$@" > /dev/null
      python3 - "$out/$seed" "$hidden" "$loss" "$seed" <<'PY'
import json, sys
d, hidden, loss, seed = sys.argv[1:]
s = json.load(open(d + "/summary.json"))
last = {}
for line in open(d + "/metrics.jsonl"):
    row = json.loads(line)
    last.update({k: v for k, v in row.items() if k.startswith("distill/")})
print(f"{hidden:>8} {loss:>4} seed {seed}  student {s['final_return_mean']:7.1f}  "
      f"teacher {s['comparison_final_return_mean']['teacher_0']:7.1f}  "
      f"agreement {last['distill/agreement']:.3f}  srank {s.get('final_srank')} "
      f"(teacher {(s.get('comparison_final_srank') or {}).get('teacher_0')})  "
      f"params {int(last['distill/student_parameters'])}/{int(last['distill/teacher_parameters'])}  "
      f"wall {s['time_seconds']['total']:.1f} s")
PY
    done
  done
done
