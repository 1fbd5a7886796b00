from search.query import parse, prefix_tsquery


def test_prefix_query_quotes_every_word_and_keeps_phrases():
    assert prefix_tsquery('evaluat* "red team" gpt-4*') == "'evaluat':* & ('red' <-> 'team') & 'gpt' & '4':*"


def test_prefix_query_drops_tsquery_syntax_typed_by_the_user():
    assert prefix_tsquery("a' | !b:* & (c)*") == "'a' & 'b':* & 'c':*"
    assert prefix_tsquery("*** ::") == ""


def test_parse_notes_prefix_and_review_number():
    assert parse("  Atlas*  ").prefix and parse("#12").number == 12 and parse("12 a").number is None
    assert parse('"  "').empty
