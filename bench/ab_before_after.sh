#!/usr/bin/env bash
# A/B: burst throughput and latency of hotline at an older commit against the working tree,
# alternating, in the same conditions. Usage: bench/ab_before_after.sh COMMIT [ROUNDS] [AFTER]
# The older code runs from a temporary git worktree; the bench scripts are the current ones.
# With AFTER (a commit), the "after" side runs from a worktree of it too, so the working tree
# can change while the comparison runs.
set -euo pipefail
cd "$(dirname "$0")/.."
commit=${1:?usage: bench/ab_before_after.sh COMMIT [ROUNDS] [AFTER]}
rounds=${2:-2}
after_commit=${3:-}
before=$(mktemp -d /tmp/hotline-before.XXXXXX)
git worktree add -q --detach "$before" "$commit"
after_src="$PWD/src"
after_name="working tree"
if [ -n "$after_commit" ]; then
  after=$(mktemp -d /tmp/hotline-after.XXXXXX)
  git worktree add -q --detach "$after" "$after_commit"
  after_src="$after/src"
  after_name="$after_commit"
  trap 'git worktree remove --force "$before"; git worktree remove --force "$after"' EXIT
else
  trap 'git worktree remove --force "$before"' EXIT
fi
for round in $(seq "$rounds"); do
  for which in before after; do
    if [ "$which" = before ]; then src="$before/src"; else src="$after_src"; fi
    echo "== $which ($([ "$which" = before ] && echo "$commit" || echo "$after_name")), round $round"
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
