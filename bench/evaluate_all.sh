#!/usr/bin/env bash
# Every evaluation figure in the README and the reader's model card, measured in one go (about 30 minutes
# on 2 CPU cores, indexes of the open-mode corpora included). Writes bench/eval/*.json. Run from the
# repository root with the venv active. Each file gives the forced answer's figures (top level) and the
# served ones (`served`: what POST /ask returns, with the no-answer threshold applied).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
OUT=bench/eval
IDX=runs/eval
mkdir -p "$OUT" "$IDX"
# The held-out parts of the training mixture (never trained on), rebuilt from ../shared/data.
python -m qa.offline.mixture runs/heldout >/dev/null
HELD_NEW="runs/heldout/heldout-tydiqa-goldp-en-train.json runs/heldout/heldout-qed-train.json runs/heldout/heldout-squadshifts-amazon.json runs/heldout/heldout-squadshifts-reddit.json"

# Reader mode (each question with its gold paragraph)
qa eval "$DATA/squad-v1.1-dev.json" --output "$OUT/squad11-dev-reader.json"
qa eval runs/heldout/heldout-squad11-train.json $HELD_NEW --output "$OUT/heldout-reader.json"
qa eval "$DATA/squad-v2.0-dev-2articles-smoke.json" --output "$OUT/squad20-smoke-reader.json"
qa eval "$DATA/squad-v1.1-dev.json" --reader sentence --sample 500 --output "$OUT/squad11-dev-reader-sentence-500.json"

# Open mode on many-document corpora: every paragraph of the set is a document (SQuAD dev: a seeded sample
# of 2,000 of its 10,570 questions, over all 2,067 paragraphs)
qa eval "$DATA/squad-v1.1-dev.json" --open --index "$IDX/squad-dev-index" --sample 2000 --output "$OUT/squad11-dev-open.json"
for s in tydiqa-goldp-en-train qed-train squadshifts-amazon squadshifts-reddit; do
    qa eval "runs/heldout/heldout-$s.json" --open --corpus "$DATA/$s.json" --index "$IDX/$s-index" \
        --output "$OUT/heldout-$s-open.json"
done
qa eval "$DATA/squad-v2.0-dev-2articles-smoke.json" --open --output "$OUT/squad20-smoke-open.json"

# Off-topic: questions whose answers the corpus does not hold must get "no answer"
qa eval $HELD_NEW --off-topic seeds --sample 300 --output "$OUT/offtopic-seed.json"
qa eval $HELD_NEW --off-topic "$DATA/squad-v1.1-dev.json" --index "$IDX/squad-dev-index" --sample 300 \
    --output "$OUT/offtopic-squad-dev.json"

# List answers: the project's held-out list questions, and Natural Questions list questions (item P/R/F1)
qa eval --lists tests/data/lists/eval.json --output "$OUT/lists-eval.json"
qa eval "$DATA/qed-dev-multispan.json" --output "$OUT/qed-dev-multispan-reader.json"
qa eval "$DATA/qed-dev-multispan.json" --open --output "$OUT/qed-dev-multispan-open.json"
# Single-answer questions answered as a list (the false-list rate), each read with its gold paragraph
python bench/list_rate.py "$DATA/squad-v1.1-dev.json" runs/heldout/heldout-*.json --n 400 --output "$OUT/false-list.json"
# ... and on a fresh sample, since the routing rules were found on the first one
python bench/list_rate.py "$DATA/squad-v1.1-dev.json" runs/heldout/heldout-*.json --n 400 --seed 2 \
    --output "$OUT/false-list-seed2.json"
