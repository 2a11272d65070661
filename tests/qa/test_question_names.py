from qa.question_names import missing_names, question_names


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
