"""Compact readers (a LoRA adapter and span head on a fetched encoder): merged once, read like full weights,
on encoders with token types (BERT) and without (MPNet), by both backends."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from index.onnx_models import weights_key
from qa.offline.train import TrainConfig, _write_model, base_encoder, build_model
from qa.reader_weights import SOURCE_KEY, compact_key, full_weights, is_compact, lora_scale, merged_state
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


def _adapter(tmp_path: Path, tensors: dict, **config) -> Path:
    from safetensors.torch import save_file

    folder = tmp_path / "adapter"
    folder.mkdir(exist_ok=True)
    (folder / "adapter_config.json").write_text(json.dumps({"r": 2, "lora_alpha": 4, **config}))
    save_file({f"base_model.model.{k}": v.contiguous() for k, v in tensors.items()},
              str(folder / "adapter_model.safetensors"))  # fmt: skip
    return folder


def test_the_merge_reads_peft_0_21s_layout_without_peft(tmp_path):
    """The layout the shipped adapters were saved in (PEFT 0.21, bias "all", whole-kept modules saved under
    two names beside an `original_module` copy): each tensor lands where it belongs, whatever PEFT is installed."""
    base = {"enc.q.weight": torch.zeros(3, 4), "enc.q.bias": torch.zeros(3), "enc.LayerNorm.weight": torch.ones(3),
            "enc.LayerNorm.bias": torch.zeros(3), "head.weight": torch.zeros(2, 3),
            "emb.weight": torch.ones(5, 3)}  # fmt: skip
    a, b = torch.randn(2, 4), torch.randn(3, 2)
    tensors = {"enc.q.lora_A.weight": a, "enc.q.lora_B.weight": b, "enc.q.base_layer.bias": torch.full((3,), 0.5),
               "enc.LayerNorm.weight": torch.full((3,), 2.0), "enc.LayerNorm.bias": torch.full((3,), 0.1),
               "enc.LayerNorm.modules_to_save.bias": torch.full((3,), 0.1),
               "enc.LayerNorm.original_module.bias": torch.zeros(3),
               "head.weight": torch.full((2, 3), 3.0)}  # fmt: skip
    merged = merged_state(base, _adapter(tmp_path, tensors))
    torch.testing.assert_close(merged["enc.q.weight"], 2.0 * (b @ a))  # alpha / r = 2
    torch.testing.assert_close(merged["enc.q.bias"], torch.full((3,), 0.5))
    torch.testing.assert_close(merged["enc.LayerNorm.weight"], torch.full((3,), 2.0))
    torch.testing.assert_close(merged["enc.LayerNorm.bias"], torch.full((3,), 0.1))
    torch.testing.assert_close(merged["head.weight"], torch.full((2, 3), 3.0))
    torch.testing.assert_close(merged["emb.weight"], torch.ones(5, 3))  # not in the adapter: the base's
    assert lora_scale({"r": 4, "lora_alpha": 8, "use_rslora": True}, "enc.q") == 4.0


def test_an_adapter_tensor_with_no_place_in_the_base_is_refused(tmp_path):
    base = {"enc.q.weight": torch.zeros(3, 4)}
    with pytest.raises(ValueError, match="no place for"):
        merged_state(base, _adapter(tmp_path, {"enc.k.lora_A.weight": torch.zeros(2, 4)}))
    with pytest.raises(ValueError, match="shape"):
        merged_state(base, _adapter(tmp_path, {"enc.q.weight": torch.zeros(4, 4)}))
    with pytest.raises(ValueError, match="DoRA"):
        merged_state(base, _adapter(tmp_path, {}, use_dora=True))


@pytest.mark.slow
def test_the_shipped_strong_reader_merges_with_its_own_span_head(tmp_path):
    """The committed MPNet adapter, merged: its span head and LayerNorms are the adapter's, not a fresh init,
    and it reads a plain question right on both backends."""
    from safetensors.torch import load_file

    strong = Path(__file__).resolve().parents[2] / "qa" / "models" / "strong"
    merged = full_weights(strong)
    weights = load_file(str(merged / "model.safetensors"))
    shipped = load_file(str(strong / "adapter_model.safetensors"))
    head = shipped["base_model.model.qa_outputs.weight"].float()
    torch.testing.assert_close(weights["qa_outputs.weight"].float(), head, atol=1e-3, rtol=0)
    reader = SpanReader(strong, backend="torch", bf16=False)
    best = reader.predict([(QUESTION, TEXT)])[0][0]
    assert TEXT[best.start : best.end] == "Bart de Wever"
    # its int8 graph reads as PyTorch does on this very CPU (int8 weights once saturated AVX2's u8s8 kernel:
    # logits correlated 0.24)
    onnx_reader = SpanReader(strong, backend="onnx")
    best = onnx_reader.predict([(QUESTION, TEXT)])[0][0]
    assert onnx_reader.active_backend == "onnx"
    assert TEXT[best.start : best.end] == "Bart de Wever"
    s_t, _ = _reader_logits(reader)
    s_o, _ = _reader_logits(onnx_reader)
    assert np.corrcoef(s_t.ravel(), s_o.ravel())[0, 1] > 0.98
