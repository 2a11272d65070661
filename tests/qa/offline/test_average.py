"""Averaging readers: the mean of the members' weights, stored fp16, with their history and a usable folder."""

from __future__ import annotations

import json
import shutil

import pytest

from qa.span_reader import MODEL_DIR


def test_the_average_is_the_mean_of_the_members(tmp_path):
    import torch
    from safetensors.torch import load_file, save_file

    from qa.offline.average import average

    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(MODEL_DIR, a, ignore=shutil.ignore_patterns("*.onnx"))
    shutil.copytree(MODEL_DIR, b, ignore=shutil.ignore_patterns("*.onnx"))
    state = load_file(str(b / "model.safetensors"))
    name = next(k for k in state if k.endswith("qa_outputs.bias"))
    state[name] = state[name] + 1.0  # b differs from a by one in this tensor
    save_file(state, str(b / "model.safetensors"), metadata={"format": "pt"})
    (b / "training.json").write_text(json.dumps({"steps_done": 7}))

    out = average(tmp_path / "soup", [a, b])
    mean = load_file(str(out / "model.safetensors"))
    base = load_file(str(a / "model.safetensors"))
    assert mean[name].dtype == torch.float16
    torch.testing.assert_close(mean[name].float(), base[name].float() + 0.5, atol=1e-2, rtol=0)
    other = next(k for k in base if k != name)
    assert torch.equal(mean[other], base[other])
    meta = json.loads((out / "training.json").read_text())
    assert meta["steps_done"] == 7 and len(meta["averaged_with"]) == 1
    assert (out / "config.json").exists() and (out / "tokenizer.json").exists()
    with pytest.raises(ValueError):
        average(tmp_path / "one", [a])
