"""Which MatMul nodes an int8 export leaves in fp32, per architecture, and that the recipe is part of the cache key."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
from onnx import TensorProto, helper

from index.onnx_models import RECIPE, kept_fp32, recipe_for, weights_key


def graph_with_matmuls(path: Path, prefix: str, layers: int) -> None:
    """An ONNX graph whose MatMul nodes are named as a transformers export names them (attention and FFN)."""
    names = []
    for i in range(layers):
        for part in ("attention/self/query", "attention/output/dense", "intermediate/dense", "output/dense"):
            names.append(f"/{prefix}/encoder/layer.{i}/{part}/MatMul")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    nodes, last = [], "x"
    for n, name in enumerate(names):
        w = helper.make_tensor(f"w{n}", TensorProto.FLOAT, [2, 2], [1.0, 0.0, 0.0, 1.0])
        nodes.append((helper.make_node("MatMul", [last, f"w{n}"], [f"y{n}"], name=name), w))
        last = f"y{n}"
    y = helper.make_tensor_value_info(last, TensorProto.FLOAT, [1, 2])
    graph = helper.make_graph([n for n, _ in nodes], "g", [x], [y], initializer=[w for _, w in nodes])
    onnx.save(helper.make_model(graph), str(path))


def model_dir(tmp_path: Path, model_type: str) -> Path:
    d = tmp_path / model_type
    d.mkdir()
    (d / "config.json").write_text(json.dumps({"model_type": model_type}))
    (d / "model.safetensors").write_bytes(b"weights")
    return d


def test_bert_keeps_the_first_ffn_output_and_mpnet_every_one(tmp_path: Path) -> None:
    path = tmp_path / "g.onnx"
    graph_with_matmuls(path, "model/bert", 12)
    bert = kept_fp32(path, recipe_for(model_dir(tmp_path, "bert")))
    assert bert == ["/model/bert/encoder/layer.0/output/dense/MatMul"]  # not layer.10's, not the attention output
    mpnet = kept_fp32(path, recipe_for(model_dir(tmp_path, "mpnet")))
    assert mpnet == [f"/model/bert/encoder/layer.{i}/output/dense/MatMul" for i in range(12)]


def test_an_unknown_or_unreadable_config_gets_the_bert_recipe(tmp_path: Path) -> None:
    assert recipe_for(model_dir(tmp_path, "roberta")) == RECIPE
    assert recipe_for(tmp_path / "nowhere") == RECIPE


def test_the_recipe_is_part_of_the_cache_key(tmp_path: Path) -> None:
    bert, mpnet = model_dir(tmp_path, "bert"), model_dir(tmp_path, "mpnet")
    (mpnet / "config.json").write_text((bert / "config.json").read_text().replace("bert", "mpnet"))
    assert weights_key(bert) != weights_key(mpnet)
    (bert / "source-key").write_text("k\n")  # a merged reader is keyed by its compact source, still per recipe
    (mpnet / "source-key").write_text("k\n")
    assert weights_key(bert) != weights_key(mpnet)
