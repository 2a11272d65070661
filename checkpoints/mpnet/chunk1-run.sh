#!/usr/bin/env bash
# MPNet reader, chunk 1: full fine-tuning on the whole mixture (chunk 16's recipe, SQuAD at 0.25), 75 minutes,
# then its compact form (SVD rank 64) and a first measurement on 300 SQuAD dev questions.
set -u
cd /work/main && . .venv/bin/activate
/usr/bin/time -v qa train-reader --base mpnet --freeze-embeddings true \
  --sources "squad11-train.json*0.25,tydiqa-goldp-en-train.json*2,qed-train.json*1.5,squadshifts-amazon.json,squadshifts-reddit.json,qed-train-multispan.json*24" \
  --neg-perturbed 0.2 --seed 41 --lr 5e-5 --warmup 0.05 --epochs 1 --time-budget-min 75 --threads 2 \
  --checkpoint-every-min 10 --no-calibrate --output runs/mpnet-c1/full --workdir runs/mpnet-c1 > runs/mpnet-c1/train.log 2>&1
echo "trained $(date)" >> runs/mpnet-c1/progress
python -m qa.offline.compact runs/mpnet-c1/full runs/mpnet-c1/compact --rank 64 > runs/mpnet-c1/compact.log 2>&1
echo "compacted $(date)" >> runs/mpnet-c1/progress
for m in full compact; do
  QA_READER_DIR=runs/mpnet-c1/$m QA_READER_BACKEND=torch qa eval ../shared/data/squad-v1.1-dev.json --sample 300 \
    --output runs/mpnet-c1/eval-$m-squad-dev-300.json > runs/mpnet-c1/eval-$m.log 2>&1
  echo "evaluated $m $(date)" >> runs/mpnet-c1/progress
done
