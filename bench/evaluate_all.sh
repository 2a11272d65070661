#!/usr/bin/env bash
# Every evaluation figure in the README and the model cards, measured in one go, for the reader the settings
# pick (the default: the cascade; `QA_READER=span OUT=bench/eval` for the fast reader alone). About 30 minutes
# on 2 CPU cores with the fast reader, some 2 hours with the cascade (the strong reader reads every question of
# reader mode), indexes of the open-mode corpora included. Writes $OUT/*.json (default bench/eval-cascade);
# a figure whose file is already there is kept (RESUME=0 measures everything again), so an interrupted run
# goes on where it stopped. Run from the repository root with the venv active. Each file gives the forced
# answer's figures (top level) and the served ones (`served`: what POST /ask returns, the threshold applied).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
OUT=${OUT:-bench/eval-cascade}
RESUME=${RESUME:-1}
IDX=runs/eval
mkdir -p "$OUT" "$IDX"

# measure NAME COMMAND...: the command writes $OUT/NAME.json (it is given `--output`), unless it is there
measure() {
    local name=$1
    shift
    if [ "$RESUME" = 1 ] && [ -s "$OUT/$name.json" ]; then
        echo "kept $OUT/$name.json" >&2
        return
    fi
    echo "measuring $OUT/$name.json" >&2
    "$@" --output "$OUT/$name.json.part" && mv "$OUT/$name.json.part" "$OUT/$name.json"
}

# The held-out parts of the training mixture (never trained on), rebuilt from ../shared/data.
python -m qa.offline.mixture runs/heldout >/dev/null
HELD_NEW="runs/heldout/heldout-tydiqa-goldp-en-train.json runs/heldout/heldout-qed-train.json runs/heldout/heldout-squadshifts-amazon.json runs/heldout/heldout-squadshifts-reddit.json"

# Reader mode (each question with its gold paragraph)
measure squad11-dev-reader qa eval "$DATA/squad-v1.1-dev.json"
measure heldout-reader qa eval runs/heldout/heldout-squad11-train.json $HELD_NEW
measure squad20-smoke-reader qa eval "$DATA/squad-v2.0-dev-2articles-smoke.json"
measure squad11-dev-reader-sentence-500 qa eval "$DATA/squad-v1.1-dev.json" --reader sentence --sample 500

# Open mode on many-document corpora: every paragraph of the set is a document (SQuAD dev: a seeded sample
# of 2,000 of its 10,570 questions, over all 2,067 paragraphs)
measure squad11-dev-open qa eval "$DATA/squad-v1.1-dev.json" --open --index "$IDX/squad-dev-index" --sample 2000
for s in tydiqa-goldp-en-train qed-train squadshifts-amazon squadshifts-reddit; do
    measure "heldout-$s-open" qa eval "runs/heldout/heldout-$s.json" --open --corpus "$DATA/$s.json" \
        --index "$IDX/$s-index"
done
measure squad20-smoke-open qa eval "$DATA/squad-v2.0-dev-2articles-smoke.json" --open

# Off-topic: questions whose answers the corpus does not hold must get "no answer"
measure offtopic-seed qa eval $HELD_NEW --off-topic seeds --sample 300
measure offtopic-squad-dev qa eval $HELD_NEW --off-topic "$DATA/squad-v1.1-dev.json" --index "$IDX/squad-dev-index" \
    --sample 300

# List answers: the project's held-out list questions, and Natural Questions list questions (item P/R/F1)
measure lists-eval qa eval --lists tests/data/lists/eval.json
measure qed-dev-multispan-reader qa eval "$DATA/qed-dev-multispan.json"
measure qed-dev-multispan-open qa eval "$DATA/qed-dev-multispan.json" --open
# Single-answer questions answered as a list (the false-list rate), each read with its gold paragraph
measure false-list python bench/list_rate.py "$DATA/squad-v1.1-dev.json" runs/heldout/heldout-*.json --n 400
# ... and on a fresh sample, since the routing rules were found on the first one
measure false-list-seed2 python bench/list_rate.py "$DATA/squad-v1.1-dev.json" runs/heldout/heldout-*.json \
    --n 400 --seed 2
