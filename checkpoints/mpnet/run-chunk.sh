#!/usr/bin/env bash
# One MPNet training chunk after the first (chunk1-run.sh):
#   bash checkpoints/mpnet/run-chunk.sh N FROM START_STEP LR MINUTES
# full fine-tuning from the full weights in FROM, through the same seeded batch order from START_STEP (the last
# chunk's `steps_done`), its own warm-up and decay over MINUTES; then its compact form (runs/mpnet-cN/compact)
# and 300 SQuAD dev questions. The same command again resumes from runs/mpnet-cN/checkpoint.pt.
set -u
N=$1 FROM=$2 START=$3 LR=$4 MINUTES=$5
W=runs/mpnet-c$N
cd "$(dirname "$0")/../.." && . .venv/bin/activate && mkdir -p "$W"
/usr/bin/time -v qa train-reader --base mpnet --init-from "$FROM" --freeze-embeddings true \
  --sources "squad11-train.json*0.25,tydiqa-goldp-en-train.json*2,qed-train.json*1.5,squadshifts-amazon.json,squadshifts-reddit.json,qed-train-multispan.json*24" \
  --neg-perturbed 0.2 --seed 41 --start-step "$START" --lr "$LR" --warmup 0.05 --epochs 1 --time-budget-min "$MINUTES" \
  --threads 2 --checkpoint-every-min 10 --no-calibrate --output "$W/full" --workdir "$W" > "$W/train.log" 2>&1
echo "trained $(date)" >> "$W/progress"
python -m qa.offline.compact "$W/full" "$W/compact" --rank 64 > "$W/compact.log" 2>&1
echo "compacted $(date)" >> "$W/progress"
QA_READER=span QA_READER_DIR="$W/compact" QA_READER_BACKEND=torch qa eval ../shared/data/squad-v1.1-dev.json --sample 300 \
  --output "$W/eval-compact-squad-dev-300.json" > "$W/eval-compact.log" 2>&1
echo "evaluated compact $(date)" >> "$W/progress"
