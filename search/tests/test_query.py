from search.query import parse, prefix_tsquery


def test_prefix_query_quotes_every_word_and_keeps_phrases():
    assert prefix_tsquery('evaluat* "red team" gpt-4*') == "'evaluat':* & ('red' <-> 'team') & 'gpt' & '4':*"


def test_prefix_query_drops_tsquery_syntax_typed_by_the_user():
    assert prefix_tsquery("a' | !b:* & (c)*") == "'a' & 'b':* & 'c':*"
    assert prefix_tsquery("*** ::") == ""


def test_parse_notes_prefix_and_review_number():
    assert parse("  Atlas*  ").prefix and parse("#12").number == 12 and parse("12 a").number is None
    assert parse('"  "').empty


def test_part_of_a_name_is_searched_only_with_a_word_a_trigram_index_narrows():
    # Single characters leave pg_trgm trigrams that nearly every name holds: no name search.
    assert [parse(q).names for q in ("#-1", "a-b", "1.0", "x y")] == [False] * 4
    assert [parse(q).model_names for q in ("a-b", "x y")] == [False] * 2
    # A word of two characters or more narrows it (and the other rules stay).
    assert [parse(q).names for q in ("v2.1", "lab-notes", "ab c", "ab", "lab*")] == [True, True, True, False, False]
    assert parse("gpt 4").model_names
