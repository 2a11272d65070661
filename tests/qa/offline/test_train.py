"""Training labels and loss: a list answer's items are each a gold start and end; one answer is plain CE."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import AutoTokenizer

from index.embedder import encoder_path
from qa.offline.mixture import TrainExample
from qa.offline.train import collate, encode_examples, span_loss


def test_list_items_are_each_labelled_and_share_the_probability():
    tok = AutoTokenizer.from_pretrained(encoder_path())
    ctx = "The farm grows wheat, barley and rye near the river."
    items = ((ctx.index("wheat"), ctx.index("wheat") + 5), (ctx.index("rye"), ctx.index("rye") + 3))
    examples = [
        TrainExample("what grows there", ctx, items[0][0], "wheat", "t", items, separate=True),
        TrainExample("what grows there", ctx, ctx.index("barley"), "barley", "t"),
        TrainExample("who owns it", ctx, -1, "", "t"),
    ]
    feats = encode_examples(tok, examples, 64, 32)
    ids, types, mask, start, end, separate = collate(feats, [0, 1, 2])
    assert separate.tolist() == [True, False, False]
    words = [tok.decode(ids[0, i]) for i in start[0].nonzero().flatten()]
    assert words == ["wheat", "rye"] and start[0].sum() == end[0].sum() == 2
    assert start[1].sum() == 1 and tok.decode(ids[1, start[1]]) == "barley"
    assert start[2].nonzero().flatten().tolist() == [0], "no answer is [CLS]"

    logits_s = torch.randn(ids.shape)
    logits_e = torch.randn(ids.shape)
    single = span_loss(logits_s[1:], logits_e[1:], types[1:], mask[1:], start[1:], end[1:], separate[1:])
    allowed = (types[1:] == 1) & (mask[1:] == 1)
    allowed[:, 0] = True
    ce = (
        sum(
            F.cross_entropy(lg.masked_fill(~allowed, -1e30), gold.float().argmax(1))
            for lg, gold in ((logits_s[1:], start[1:]), (logits_e[1:], end[1:]))
        )
        / 2
    )
    assert torch.allclose(single, ce, atol=1e-5), "one gold position: the loss is plain cross-entropy"
    # Raising the neglected second item's start logit to the first's lowers the list example's loss: both
    # items are gold.
    wheat, rye = start[0].nonzero().flatten().tolist()
    logits_s[0, rye] = logits_s[0, wheat] - 5
    before = span_loss(logits_s[:1], logits_e[:1], types[:1], mask[:1], start[:1], end[:1], separate[:1])
    logits_s[0, rye] = logits_s[0, wheat]
    after = span_loss(logits_s[:1], logits_e[:1], types[:1], mask[:1], start[:1], end[:1], separate[:1])
    assert after < before


def test_separate_answers_get_an_even_share_and_parts_of_one_answer_any_share():
    """A list question's items are each to be read: all the probability on one of two items costs more than
    an even split. The parts of one answer beside the whole may share it any way (their sum counts)."""
    types = torch.tensor([[0, 0, 1, 1, 1, 1]] * 2)
    mask = torch.ones_like(types)
    gold = torch.tensor([[False, False, True, False, True, False]] * 2)
    one = torch.tensor([[0.0, 0.0, 9.0, 0.0, 0.0, 0.0]] * 2)
    even = torch.tensor([[0.0, 0.0, 9.0, 0.0, 9.0, 0.0]] * 2)
    for separate, costs_more in ((torch.tensor([True, True]), True), (torch.tensor([False, False]), False)):
        on_one = span_loss(one, one, types, mask, gold, gold, separate)
        split = span_loss(even, even, types, mask, gold, gold, separate)
        assert bool(on_one > split + 1) is costs_more, (separate, on_one, split)
