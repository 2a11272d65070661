"""Compact readers (a LoRA adapter and span head on a fetched encoder): merged once, read like full weights,
on encoders with token types (BERT) and without (MPNet), by both backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from index.onnx_models import weights_key
from qa.offline.train import TrainConfig, _write_model, base_encoder, build_model
from qa.reader_weights import SOURCE_KEY, compact_key, full_weights, is_compact
from qa.span_reader import SpanReader

QUESTION = "Who is the Belgian Prime Minister?"
TEXT = (
    "Belgian Prime Minister Bart de Wever believes it is logical for Brussels to send troops to Ukraine. "
    "Irish Prime Minister Michael Martin said his country was also ready to send peacekeepers."
)


def _compact_reader(tmp_path: Path, base: str, rank: int = 4) -> tuple[Path, torch.nn.Module, bool]:
    """A compact reader on `base` whose adapter is not zero (a fresh LoRA adds nothing: B starts at 0), and the
    unmerged PEFT model it was written from."""
    from transformers import AutoTokenizer

    torch.manual_seed(0)
    cfg = TrainConfig(base=base, lora_r=rank)
    folder, name = base_encoder(cfg)
    model, types = build_model(cfg, folder)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n or "qa_outputs" in n:
                p.normal_(0, 0.05)
    out = _write_model(model, AutoTokenizer.from_pretrained(folder), {}, tmp_path / "reader", {"form": "lora",
                       "base": name, "rank": rank})  # fmt: skip
    return out, model.eval(), types


def _peft_logits(model, reader: SpanReader, types: bool) -> tuple[np.ndarray, np.ndarray]:
    win = reader.windows([QUESTION], [TEXT])
    ids = torch.tensor(win.input_ids)
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    if types:
        inputs["token_type_ids"] = torch.tensor(win.token_type_ids)
    with torch.no_grad():
        out = model(**inputs)
    return out.start_logits.numpy(), out.end_logits.numpy()


def _reader_logits(reader: SpanReader) -> tuple[np.ndarray, np.ndarray]:
    from qa.onnx_reader import pad_arrays

    win = reader.windows([QUESTION], [TEXT])
    return reader._logits(*pad_arrays(win.input_ids, win.token_type_ids, reader.pad_id))


def test_a_compact_minilm_reader_merges_to_the_adapters_own_outputs(tmp_path):
    compact, peft_model, types = _compact_reader(tmp_path, "minilm")
    assert is_compact(compact) and not (compact / "model.safetensors").exists()
    assert sum(f.stat().st_size for f in compact.iterdir()) < 5_000_000  # adapter + head + tokenizer, not 90 MB
    reader = SpanReader(compact, backend="torch", bf16=False, models_cache=tmp_path / "models")
    reader.warm_up()
    assert reader.weights_dir is not None and reader.weights_dir.parent == tmp_path / "models" / "readers"
    assert types and reader._types
    s, e = _reader_logits(reader)
    ps, pe = _peft_logits(peft_model, reader, types)
    np.testing.assert_allclose(s, ps, atol=2e-4)
    np.testing.assert_allclose(e, pe, atol=2e-4)
    # merged once: a second reader reuses the folder; the ONNX key comes from the compact files
    again = full_weights(compact, tmp_path / "models")
    assert again == reader.weights_dir
    assert (again / SOURCE_KEY).read_text().strip() == compact_key(compact)
    assert weights_key(again) == weights_key(reader.weights_dir)  # from the source key, not the merged bytes


def test_the_onnx_backend_reads_a_compact_reader_as_pytorch_does(tmp_path):
    compact, _, _ = _compact_reader(tmp_path, "minilm")
    torch_reader = SpanReader(compact, backend="torch", bf16=False, models_cache=tmp_path / "models")
    onnx_reader = SpanReader(compact, backend="onnx", models_cache=tmp_path / "models", onnx_cache=tmp_path / "onnx")
    s_t, _ = _reader_logits(torch_reader)
    s_o, _ = _reader_logits(onnx_reader)
    assert onnx_reader.active_backend == "onnx"
    assert np.corrcoef(s_t.ravel(), s_o.ravel())[0, 1] > 0.97  # int8 on random weights


@pytest.mark.slow
def test_an_mpnet_reader_reads_without_token_types_on_both_backends(tmp_path):
    """MPNet has no token types and pads with id 1: windows still mark the text, PyTorch and ONNX agree."""
    compact, peft_model, types = _compact_reader(tmp_path, "mpnet", rank=2)
    assert not types
    reader = SpanReader(compact, backend="torch", bf16=False, models_cache=tmp_path / "models")
    reader.warm_up()
    assert not reader._types and reader.pad_id == 1
    win = reader.windows([QUESTION], [TEXT])
    text_part = [t for t, s in zip(win.token_type_ids[0], win.sequence_ids[0]) if s == 1]
    assert text_part and set(text_part) == {1} and win.token_type_ids[0][0] == 0
    s, e = _reader_logits(reader)
    ps, pe = _peft_logits(peft_model, reader, types)
    np.testing.assert_allclose(s, ps, atol=5e-4)
    # padding with MPNet's own pad id leaves the real tokens' logits as they are
    from qa.onnx_reader import pad_arrays

    ids, tt, mask = pad_arrays([win.input_ids[0], win.input_ids[0][:10]], [win.token_type_ids[0]] * 2, 1)
    padded, _ = reader._logits(ids, tt, mask)
    np.testing.assert_allclose(padded[0], s[0], atol=5e-4)
    # the exported graph (fp32) is the model: two inputs, the same logits
    import onnxruntime as ort

    from index.onnx_models import export_fp32

    assert reader.weights_dir is not None
    assert export_fp32("reader", reader.weights_dir, tmp_path / "fp32.onnx") == ["input_ids", "attention_mask"]
    graph = ort.InferenceSession(str(tmp_path / "fp32.onnx"), providers=["CPUExecutionProvider"])
    s_fp32 = graph.run(["start_logits"], {"input_ids": ids, "attention_mask": mask})[0]
    np.testing.assert_allclose(s_fp32[0], s[0], atol=1e-3)
    # the int8 backend reads the same windows and runs; its accuracy on trained weights is bench_backends' figure
    # (random weights quantise badly: this adapter's int8 logits correlate about 0.77 with fp32)
    onnx_reader = SpanReader(compact, backend="onnx", models_cache=tmp_path / "models", onnx_cache=tmp_path / "onnx")
    s_o, _ = _reader_logits(onnx_reader)
    assert onnx_reader.active_backend == "onnx"
    assert onnx_reader.windows([QUESTION], [TEXT]).input_ids == win.input_ids
    assert np.corrcoef(s.ravel(), s_o.ravel())[0, 1] > 0.5
    cands = onnx_reader.predict([(QUESTION, TEXT)])[0]
    assert cands and all(0 <= c.start < c.end <= len(TEXT) for c in cands)
