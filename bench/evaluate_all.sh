#!/usr/bin/env bash
# Every evaluation figure in the README and the reader's model card, measured in one go (about 20 minutes
# on 2 CPU cores). Writes bench/eval/*.json. Run from the repository root with the venv active.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
OUT=bench/eval
mkdir -p "$OUT" runs/eval
# SQuAD 1.1 dev, reader mode: every question with its gold paragraph
qa eval "$DATA/squad-v1.1-dev.json" --output "$OUT/squad11-dev-reader.json"
# SQuAD 2.0 sample (two dev articles, 333 unanswerable): HasAns / NoAns
qa eval "$DATA/squad-v2.0-dev-2articles-smoke.json" --output "$OUT/squad20-smoke-reader.json"
qa eval "$DATA/squad-v2.0-dev-2articles-smoke.json" --open --output "$OUT/squad20-smoke-open.json"
# list answers on the held-out list questions
qa eval --lists tests/data/lists/eval.json --output "$OUT/lists-eval.json"
# the whole-sentence baseline, for comparison (a seeded sample of 500 dev questions)
qa eval "$DATA/squad-v1.1-dev.json" --reader sentence --sample 500 --output "$OUT/squad11-dev-reader-sentence-500.json"
# SQuAD 1.1 dev, open mode: all 2,067 paragraphs indexed, all 10,570 questions asked
qa eval "$DATA/squad-v1.1-dev.json" --open --index runs/eval/squad-dev-index --output "$OUT/squad11-dev-open.json"
