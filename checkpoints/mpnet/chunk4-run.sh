#!/usr/bin/env bash
# MPNet reader, chunk 4: from chunk 3's full weights (fp16, runs/mpnet-c3/full), the same seeded batch order from
# step 3073, lr 3e-5, 95 minutes; then its compact form and 300 SQuAD dev questions.
set -u
cd /work/main && . .venv/bin/activate
/usr/bin/time -v qa train-reader --base mpnet --init-from runs/mpnet-c3/full --freeze-embeddings true \
  --sources "squad11-train.json*0.25,tydiqa-goldp-en-train.json*2,qed-train.json*1.5,squadshifts-amazon.json,squadshifts-reddit.json,qed-train-multispan.json*24" \
  --neg-perturbed 0.2 --seed 41 --start-step 3073 --lr 3e-5 --warmup 0.05 --epochs 1 --time-budget-min 95 --threads 2 \
  --checkpoint-every-min 10 --no-calibrate --output runs/mpnet-c4/full --workdir runs/mpnet-c4 > runs/mpnet-c4/train.log 2>&1
echo "trained $(date)" >> runs/mpnet-c4/progress
python -m qa.offline.compact runs/mpnet-c4/full runs/mpnet-c4/compact --rank 64 > runs/mpnet-c4/compact.log 2>&1
echo "compacted $(date)" >> runs/mpnet-c4/progress
for m in compact; do
  QA_READER_DIR=runs/mpnet-c4/$m QA_READER_BACKEND=torch qa eval ../shared/data/squad-v1.1-dev.json --sample 300 \
    --output runs/mpnet-c4/eval-$m-squad-dev-300.json > runs/mpnet-c4/eval-$m.log 2>&1
  echo "evaluated $m $(date)" >> runs/mpnet-c4/progress
done
