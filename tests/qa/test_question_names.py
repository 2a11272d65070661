import pytest

from qa.question_names import missing_names, missing_words, question_names, question_words, repeats_question


def test_names_are_capitalised_words_past_the_first_and_numbers():
    assert question_names("Which countries are ready to send peacekeepers?") == []
    assert question_names("what year did the berlin wall fall") == []  # lower-case queries name nothing
    assert question_names("When did Beyoncé's father leave Destiny's Child in 2003?") == [
        "Beyoncé's",
        "Destiny's",
        "Child",
        "2003",
    ]
    assert question_names("What did I say In the NATO-led talks?") == ["NATO"]  # not 'I', not 'In', not '-led'


def test_missing_names_is_the_share_the_passage_does_not_mention():
    q = "What did Beyonce's father do in 1999?"
    assert missing_names(q, "In 1999 Beyoncé Knowles's father left his job.") == 0.0  # accents, possessives
    assert missing_names(q, "In 1999 the band toured Europe.") == 0.5
    assert missing_names(q, "The band toured Europe.") == 1.0
    assert missing_names("Who founded Microsoft?", "Microsoft's founders were Gates and Allen.") == 0.0
    assert missing_names("Who is the oldest?", "anything at all") == 0.0  # no names: nothing to miss


def test_aliases_and_demonyms_name_the_same_country():
    q = "When will the Irish Prime Minister visit Kyiv?"
    assert missing_names(q, "Ireland's prime minister said he would go to Kyiv in May.") == 0.0
    assert missing_names("What did the UK say about the U.S. plan?", "Britain welcomed the United States plan.") == 0.0
    assert missing_names("What did the UK say?", "France welcomed the plan.") == 1.0


def test_question_words_are_its_content_words_by_stem():
    words = question_words("who sings the theme song for the proud family")
    assert words == {"sing", "theme", "song", "proud", "famil"}
    assert question_words("What is it?") == frozenset()  # stop and question words only


def test_missing_words_is_the_share_of_content_words_the_passage_lacks():
    q = "who sings the theme song for the proud family"
    assert missing_words(q, "The Proud Family's theme song is sung by Solange Knowles.") == 0.2  # 'sings' / 'sung'
    # 'famil' and 'song' there; 'theme', 'proud' and 'sing' not ('sang' is another word)
    assert missing_words(q, "The families sang a song.") == 0.6
    assert missing_words(q, "Bread rises in a warm oven.") == 1.0
    assert missing_words("Who is it?", "anything") == 0.0  # no content words: nothing to miss


@pytest.mark.parametrize(
    "question",
    ["who sings the theme song for the proud family", "Wie heißt der Bürgermeister von Tromsø?", "何时", "", "???"],
)
def test_a_passage_that_repeats_the_question_lacks_none_of_its_words(question):
    assert missing_words(question, question) == 0.0
    assert 0.0 <= missing_words(question, "unrelated text about bread") <= 1.0


def test_an_answer_that_only_repeats_a_word_of_the_question():
    assert repeats_question("who wrote the lyrics for phantom of the opera", "lyrics")
    assert repeats_question("Who wrote the lyric?", "the lyrics")
    assert not repeats_question("who wrote the lyrics for phantom of the opera", "Charles Hart")
    assert not repeats_question("what are the fifty shades of grey books", "Fifty Shades of Grey")
