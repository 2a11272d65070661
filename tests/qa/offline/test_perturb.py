"""Perturbed negatives: the question changed in one thing its own paragraph does not say."""

from __future__ import annotations

import random

from qa.offline.mixture import make_examples
from qa.offline.perturb import change_name, change_number, names_of, negate, perturb, swap_antonym
from qa.offline.squad import SquadQuestion

CONTEXT = (
    "Tancred laid siege to Antioch in 1097 with his uncle Bohemond. It was the first siege of the crusade, "
    "and the city fell in the 10th month."
)


def test_negation_goes_after_the_auxiliary_and_only_once():
    assert negate("What is a binary string?") == "What is not a binary string?"
    assert negate("What does the term refer to?") is None  # "does" before its subject: no verb to negate
    assert negate("What does fall under the field?") == "What does not fall under the field?"
    assert negate("What is not a binary string?") is None
    assert negate("Why didn't the team do well?") is None  # negated already, inside a contraction
    assert negate("What type of dog is it?") is None
    assert negate("Tancred besieged what?") is None


def test_a_number_changes_to_one_the_paragraph_lacks():
    rng = random.Random(0)
    for _ in range(20):
        changed = change_number("When did Tancred lay siege to Antioch in 1097?", CONTEXT, rng)
        assert changed is not None and "1097" not in changed
        year = int(changed.split(" in ")[-1].rstrip("?"))
        assert str(year) not in CONTEXT and abs(year - 1097) <= 15
    ordinal = change_number("What fell in the 10th month?", CONTEXT, rng)
    assert ordinal is not None and ordinal.split()[-2][-2:] in ("st", "nd", "rd", "th") and "10th" not in ordinal
    assert change_number("What fell in the 12th month?", CONTEXT, rng) is None  # the paragraph has no 12


def test_a_name_changes_to_one_the_paragraph_lacks():
    names = names_of(["The Treaty of Devol was signed by Alexios and Bohemond near the river.", CONTEXT])
    assert "Alexios" in names and "Devol" in names
    changed = change_name("Who laid siege to Antioch with Tancred?", CONTEXT, names, random.Random(1))
    assert changed is not None and changed != "Who laid siege to Antioch with Tancred?"
    new = set(changed.rstrip("?").split()) - set("Who laid siege to Antioch with Tancred".split())
    assert new and all(w not in CONTEXT for w in new)


def test_an_antonym_only_when_the_paragraph_lacks_it():
    assert swap_antonym("What was the first siege?", CONTEXT, random.Random(0)) == "What was the last siege?"
    ctx = CONTEXT + " The last siege came later."
    assert swap_antonym("What was the first siege?", ctx, random.Random(0)) is None


def test_perturbed_negatives_keep_the_paragraph_and_have_no_answer():
    q = SquadQuestion("1", "Who laid siege to Antioch in 1097?", CONTEXT, "Crusade", 0, ("Tancred",), (0,))
    plain = make_examples([q], "s", 0.0, 0.0, 0.0, random.Random(0))
    assert len(plain) == 1
    made = make_examples([q], "s", 0.0, 0.0, 0.0, random.Random(0), neg_perturbed=1.0)
    assert len(made) == 2 and made[0].answer_start == 0
    neg = made[1]
    assert neg.context == CONTEXT and neg.answer_start == -1 and neg.question != q.question
    assert perturb("Hello there", "Nothing to change here.", [], random.Random(0)) is None
