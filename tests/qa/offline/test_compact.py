"""A fully fine-tuned reader's compact form: a low-rank change is kept exactly, and read back by the reader."""

from __future__ import annotations

import numpy as np
import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer

from index.embedder import encoder_path
from qa.offline.compact import compact
from qa.onnx_reader import pad_arrays
from qa.reader_weights import is_compact
from qa.span_reader import SpanReader

Q = "Who leads Belgium?"
T = "Belgian Prime Minister Bart de Wever believes it is logical for Brussels to send troops to Ukraine."


def test_a_low_rank_change_of_every_layer_survives_compaction(tmp_path):
    torch.manual_seed(1)
    model = AutoModelForQuestionAnswering.from_pretrained(encoder_path(), dtype=torch.float32)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".weight") and p.ndim == 2 and "embeddings" not in name:
                out, inp = p.shape
                p.add_(torch.randn(out, 2) @ torch.randn(2, inp) * 0.01)  # a rank-2 change
            elif "LayerNorm" in name or name.endswith(".bias"):
                p.add_(torch.randn_like(p) * 0.01)
    full = tmp_path / "full"
    model.save_pretrained(full)
    AutoTokenizer.from_pretrained(encoder_path()).save_pretrained(full)
    out = compact(full, "minilm", tmp_path / "compact", rank=2)
    assert is_compact(out)
    assert (out / "adapter_model.safetensors").stat().st_size < 0.1 * (full / "model.safetensors").stat().st_size
    reader = SpanReader(out, backend="torch", bf16=False, models_cache=tmp_path / "models")
    win = reader.windows([Q], [T])
    s, e = reader._logits(*pad_arrays(win.input_ids, win.token_type_ids, reader.pad_id))
    ids = torch.tensor(win.input_ids)
    with torch.no_grad():
        ref = model.eval()(input_ids=ids, token_type_ids=torch.tensor(win.token_type_ids),
                           attention_mask=torch.ones_like(ids))  # fmt: skip
    np.testing.assert_allclose(s, ref.start_logits.numpy(), atol=0.02)  # fp16 storage of the factors
    np.testing.assert_allclose(e, ref.end_logits.numpy(), atol=0.02)
    base = AutoModelForQuestionAnswering.from_pretrained(encoder_path(), dtype=torch.float32).eval()
    base.qa_outputs.load_state_dict(model.qa_outputs.state_dict())  # the same head: only the encoder differs
    with torch.no_grad():
        untouched = base(input_ids=ids, token_type_ids=torch.tensor(win.token_type_ids),
                         attention_mask=torch.ones_like(ids)).start_logits.numpy()  # fmt: skip
    assert np.abs(untouched - ref.start_logits.numpy()).max() > 0.1, "the change must be visible to be kept"
