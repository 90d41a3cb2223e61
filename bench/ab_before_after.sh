#!/usr/bin/env bash
# A/B: burst throughput and latency of hotline at an older commit against the working tree,
# alternating, in the same conditions. Usage: bench/ab_before_after.sh COMMIT [ROUNDS]
# The older code runs from a temporary git worktree; the bench scripts are the current ones.
set -euo pipefail
cd "$(dirname "$0")/.."
commit=${1:?usage: bench/ab_before_after.sh COMMIT [ROUNDS]}
rounds=${2:-2}
before=$(mktemp -d /tmp/hotline-before.XXXXXX)
git worktree add -q --detach "$before" "$commit"
trap 'git worktree remove --force "$before"' EXIT
for round in $(seq "$rounds"); do
  for which in before after; do
    if [ "$which" = before ]; then src="$before/src"; else src="$PWD/src"; fi
    echo "== $which ($([ "$which" = before ] && echo "$commit" || echo working tree)), round $round"
    PYTHONPATH="$src:$PWD" .venv/bin/python - <<'PY'
from bench.harness import percentiles, terminal_pair
from bench.latency import hotline_latency
from bench.throughput import hotline_burst

with terminal_pair() as pair:
    print(f"one-way burst of 3000: {hotline_burst(pair, 3000, both_ways=False):.0f} msg/s")
internal, _ = hotline_latency(300)
p = percentiles(internal)
print(f"latency, 300 messages: p50 {p['p50']:.3f} ms  p99 {p['p99']:.3f} ms")
PY
  done
done
