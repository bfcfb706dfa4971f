#!/usr/bin/env bash
# Speed of two commits side by side: builds BASE in a temporary worktree (sharing this checkout's
# node_modules) and runs `fundus-train bench` on wasm for each model, alternating base and the working
# tree round by round so that both see the same load. One JSON line per run on stdout.
#   bench/ab-commits.sh BASE [ROUNDS] [MODEL:BATCH ...]
#   bench/ab-commits.sh 92c8d88 2 efficientnet_b0:8 resnet50:4 vit_base_patch16_224:2
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:?usage: bench/ab-commits.sh BASE [ROUNDS] [MODEL:BATCH ...]}
rounds=${2:-2}
shift $(($# < 2 ? $# : 2))
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(efficientnet_b0:8 vit_tiny_patch16_224:8)
tree=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"' EXIT
git -C "$root" worktree add --detach "$tree" "$base" >/dev/null
ln -s "$root/node_modules" "$tree/node_modules"
(cd "$tree" && npx tsc -p tsconfig.json >/dev/null)
for round in $(seq 1 "$rounds"); do
  for side in base head; do
    dir=$root
    [ "$side" = base ] && dir=$tree
    for spec in "${specs[@]}"; do
      model=${spec%%:*}
      batch=${spec##*:}
      result=$(cd "$dir" && node dist/bin/fundus-train.js bench --model "$model" --batch-size "$batch" --steps 3 --warmup 1 --backend wasm --json 2>/dev/null | tail -1)
      commit=$(git -C "$dir" rev-parse --short HEAD)
      [ "$side" = head ] && [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ] && commit="$commit+changes"
      echo "{\"side\":\"$side\",\"commit\":\"$commit\",\"round\":$round,\"result\":${result:-null}}"
    done
  done
done
