"""Compiled statements kept per process (``portal.statements``): a cached call
site answers exactly what a fresh queryset answers, and anything the cache
cannot prove is a parameter is compiled every time instead."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import Value
from django.db.models.functions import Lower, TruncDate
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Agency
from agencies.tests.factories import AgencyFactory
from portal import statements

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_statement_cache")]


def _cached(key) -> bool:
    held = dict(statements.entries())
    return held[next(k for k in held if k[2] == key)]


def test_cached_rows_fill_in_each_calls_values():
    first, second = AgencyFactory(), AgencyFactory()

    def build(*, pk: int, now):
        return Agency.objects.filter(pk=pk, created_at__lte=now).select_related("leads_group").annotate(marker=Value(7))

    now = timezone.now()
    assert [a.acronym for a in statements.cached_rows("one", build, pk=first.pk, now=now)] == [first.acronym]
    assert _cached("one")
    with CaptureQueriesContext(connection) as queries:
        rows = statements.cached_rows("one", build, pk=second.pk, now=now)
    assert [a.acronym for a in rows] == [second.acronym]
    assert len(queries) == 1 and str(second.pk) in queries[0]["sql"]
    # Related rows and annotations come back as a fresh queryset gives them.
    assert rows[0].leads_group.name == second.leads_group.name and rows[0].marker == 7
    with CaptureQueriesContext(connection) as queries:
        rows[0].leads_group  # noqa: B018  (loaded with the row)
    assert len(queries) == 0
    # "now" is a parameter too: a moment before the row existed finds nothing.
    before = second.created_at - datetime.timedelta(seconds=1)
    assert statements.cached_rows("one", build, pk=second.pk, now=before) == []


def test_cached_rows_replay_a_time_moved_by_a_fixed_offset():
    agency = AgencyFactory()

    def build(*, now):
        return Agency.objects.filter(pk=agency.pk, created_at__gt=now - datetime.timedelta(days=1))

    now = timezone.now()
    assert [a.pk for a in statements.cached_rows("offset", build, now=now)] == [agency.pk]
    assert _cached("offset")
    assert statements.cached_rows("offset", build, now=now + datetime.timedelta(days=2)) == []
    assert [a.pk for a in statements.cached_rows("offset", build, now=agency.created_at + datetime.timedelta(hours=23))] == [agency.pk]


def test_cached_rows_with_a_time_truncated_inside_the_build_are_compiled_every_time():
    """A value cut to its day would be equal in two builds a few seconds apart:
    the stand-ins differ in every component, so it is refused, not frozen."""
    agency = AgencyFactory()

    def build(*, now):
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return Agency.objects.filter(pk=agency.pk, created_at__gte=start)

    now = timezone.now()
    assert [a.pk for a in statements.cached_rows("truncated", build, now=now)] == [agency.pk]
    assert not _cached("truncated")
    assert statements.cached_rows("truncated", build, now=now + datetime.timedelta(days=1)) == []


def test_cached_rows_judge_the_scope_at_the_moment_given():
    """A build that asks ``scope_now()`` (as ``reach_of`` does) gets the ``now``
    it was given: kept, with "now" a parameter."""
    from portal.scoping import scope_now

    agency = AgencyFactory()

    def build(*, now):
        assert now is not None
        return Agency.objects.filter(pk=agency.pk, created_at__lte=scope_now())

    assert [a.pk for a in statements.cached_rows("clock", build, now=timezone.now())] == [agency.pk]
    assert _cached("clock")
    assert statements.cached_rows("clock", build, now=agency.created_at - datetime.timedelta(seconds=1)) == []
    assert scope_now() > agency.created_at  # the clock again outside


def test_cached_count_counts_with_each_calls_values():
    first, second = AgencyFactory(), AgencyFactory()

    def build(*, now):
        return Agency.objects.filter(acronym__startswith="AG", created_at__lte=now)

    with CaptureQueriesContext(connection) as queries:
        assert statements.cached_count("count", build, now=timezone.now()) == 2
    # Compiling it ran nothing (the statement was caught on its way): the query counts stay true.
    assert len(queries) == 1
    assert _cached("count")
    with CaptureQueriesContext(connection) as queries:
        assert statements.cached_count("count", build, now=second.created_at - datetime.timedelta(microseconds=1)) == 1
    assert len(queries) == 1 and "COUNT" in queries[0]["sql"]
    assert statements.cached_count("count", build, now=first.created_at - datetime.timedelta(seconds=1)) == 0


def test_a_settings_change_forgets_every_kept_statement(settings):
    agency = AgencyFactory()
    statements.cached_rows("kept", lambda *, pk: Agency.objects.filter(pk=pk), pk=agency.pk)
    assert _cached("kept")
    settings.PORTAL_ASSIGNMENT_ANSWER_DAYS = 9
    assert statements.entries() == []


def test_cached_rows_whose_build_reads_the_database_are_compiled_every_time():
    """A value read while building (here: which agencies exist) would be frozen
    into the statement: the next call must see a row added since."""
    first = AgencyFactory()  # the factory's acronyms start with AG; the demo's do not

    def build(*, now):
        ids = list(Agency.objects.filter(acronym__startswith="AG").values_list("pk", flat=True))
        return Agency.objects.filter(pk__in=ids, created_at__lte=now).order_by("pk")

    with CaptureQueriesContext(connection) as queries:
        assert [a.pk for a in statements.cached_rows("reads", build, now=timezone.now())] == [first.pk]
    assert len(queries) == 2  # the build's own read and the rows: the refused reads never ran
    assert not _cached("reads")
    second = AgencyFactory()
    assert [a.pk for a in statements.cached_rows("reads", build, now=timezone.now())] == [first.pk, second.pk]


def test_cached_rows_with_an_id_out_of_the_integer_range_answer_nothing():
    agency = AgencyFactory()

    def build(*, pk: int):
        return Agency.objects.filter(pk=pk)

    assert [a.pk for a in statements.cached_rows("range", build, pk=agency.pk)] == [agency.pk]
    assert _cached("range")
    assert statements.cached_rows("range", build, pk=2**40) == []
    assert statements.cached_rows("range", build, pk=-(2**40)) == []


def test_cached_rows_refuse_values_that_cannot_be_parameters():
    with pytest.raises(TypeError, match="naive"):
        statements.cached_rows("naive", lambda *, now: Agency.objects.all(), now=datetime.datetime(2026, 1, 1))
    with pytest.raises(TypeError, match="flag: only ints, id lists, texts and datetimes"):
        statements.cached_rows("flag", lambda *, flag: Agency.objects.filter(pk=1 if flag else 2), flag=True)
    with pytest.raises(TypeError, match="when: only ints"):
        statements.cached_rows("date", lambda *, when: Agency.objects.filter(created_at__date=when), when=datetime.date(2026, 1, 1))


def test_cached_rows_fill_in_a_text_passed_as_it_is():
    nsa, cisa = AgencyFactory(acronym="TXA X"), AgencyFactory(acronym='TXB "Y"*')

    def build(*, name):
        return Agency.objects.filter(acronym=name)

    assert [a.pk for a in statements.cached_rows("text", build, name="TXA X")] == [nsa.pk]
    assert _cached("text")
    with CaptureQueriesContext(connection) as queries:
        assert [a.pk for a in statements.cached_rows("text", build, name='TXB "Y"*')] == [cisa.pk]
    assert len(queries) == 1
    assert statements.cached_rows("text", build, name="") == []


def test_cached_rows_with_a_text_read_inside_the_build_are_compiled_every_time():
    """A text lower-cased, or whose length or words decide the statement's
    shape, would be frozen at its first value: it is refused, not kept."""
    nsa = AgencyFactory(acronym="TXC")

    def lowered(*, name):
        return Agency.objects.alias(low=Lower("acronym")).filter(low=name.lower())  # "TXC" matches "txc"

    def shaped(*, name):
        qs = Agency.objects.filter(acronym=name)
        return qs.filter(pk__gt=0) if len(name) > 3 else qs

    def quoted(*, name):
        return Agency.objects.filter(acronym=name.strip('"'))

    for key, build in (("lowered", lowered), ("shaped", shaped), ("quoted", quoted)):
        assert [a.pk for a in statements.cached_rows(key, build, name="TXC")] == [nsa.pk], key
        assert not _cached(key), key
        assert statements.cached_rows(key, build, name="TXD") == [], key


def test_cached_values_fill_in_each_calls_values():
    agencies = AgencyFactory.create_batch(3)
    ids = [a.pk for a in agencies]

    def pairs(*, ids, name):
        return Agency.objects.filter(pk__any_of=ids).exclude(acronym=name).order_by("pk").values_list("pk", "acronym")

    def flat(*, ids):
        return Agency.objects.filter(pk__any_of=ids).order_by("-pk").values_list("pk", flat=True)[:2]

    assert statements.cached_values("pairs", pairs, ids=ids, name=agencies[1].acronym) == [
        (agencies[0].pk, agencies[0].acronym), (agencies[2].pk, agencies[2].acronym),
    ]
    assert _cached("pairs")
    assert statements.cached_values("pairs", pairs, ids=ids[1:], name="") == [(a.pk, a.acronym) for a in agencies[1:]]
    assert statements.cached_values("flat", flat, ids=ids) == [ids[2], ids[1]]
    assert _cached("flat")
    with CaptureQueriesContext(connection) as queries:
        assert statements.cached_values("flat", flat, ids=ids[:1]) == [ids[0]]
    assert len(queries) == 1


def test_cached_values_together_read_what_each_call_reads_in_one_statement():
    """Several kept one-column reads sharing their values: one statement, each
    call's rows apart and in its own order, a text and a limit kept per part,
    a part that finds nothing an empty list."""
    agencies = sorted(AgencyFactory.create_batch(4), key=lambda a: a.pk)
    ids = [a.pk for a in agencies]

    def newest(*, ids, name):
        return Agency.objects.filter(pk__any_of=ids).order_by("-pk").values_list("pk", flat=True)[:2]

    def named(*, ids, name):
        return Agency.objects.filter(pk__any_of=ids, acronym=name).order_by().values_list("pk", flat=True)

    def others(*, ids, name):
        return Agency.objects.filter(pk__any_of=ids).exclude(acronym=name).order_by("pk").values_list("pk", flat=True)

    calls = [("newest", newest), ("named", named), ("others", others)]
    name = agencies[1].acronym
    with CaptureQueriesContext(connection) as queries:
        together = statements.cached_values_together(calls, ids=ids, name=name)
    alone = [statements.cached_values(key, build, ids=ids, name=name) for key, build in calls]
    assert together == alone == [[ids[3], ids[2]], [ids[1]], [ids[0], ids[2], ids[3]]]
    assert len(queries) == 1 and queries[0]["sql"].count(" UNION ALL ") == 2
    # Another call's values fill the same statement's slots.
    assert statements.cached_values_together(calls, ids=ids[:1], name="nothing") == [[ids[0]], [], [ids[0]]]
    assert statements.cached_values_together([], ids=ids, name=name) == []


def test_cached_values_together_answer_none_when_a_part_cannot_be_kept(settings):
    """Several columns, a build that reads the database, the cache turned off:
    None, and nothing was read (the caller asks each part in turn)."""
    agency = AgencyFactory()

    def flat(*, pk):
        return Agency.objects.filter(pk=pk).values_list("pk", flat=True)

    def pairs(*, pk):
        return Agency.objects.filter(pk=pk).values_list("pk", "acronym")

    def reads(*, pk):
        first = Agency.objects.order_by("pk").values_list("pk", flat=True).first()
        return Agency.objects.filter(pk__gte=first or 0, pk=pk).values_list("pk", flat=True)

    for second in (pairs, reads):
        with CaptureQueriesContext(connection) as queries:
            assert statements.cached_values_together([("flat", flat), (second.__name__, second)], pk=agency.pk) is None
        assert [q["sql"] for q in queries] == []
    assert statements.cached_values_together([("flat", flat)], pk=agency.pk) == [[agency.pk]]
    settings.PORTAL_STATEMENT_CACHE = False
    assert statements.cached_values_together([("flat", flat)], pk=agency.pk) is None


def test_cached_values_with_columns_that_need_converting_are_built_every_time():
    """A value read through a converter (a date cut from a time) or rows as
    dicts are left to Django's iterables."""
    agency = AgencyFactory()

    def dates(*, pk):
        return Agency.objects.filter(pk=pk).annotate(day=TruncDate("created_at")).values_list("day", flat=True)

    def dicts(*, pk):
        return Agency.objects.filter(pk=pk).values("pk")

    assert statements.cached_values("dates", dates, pk=agency.pk) == [timezone.localdate(agency.created_at)]
    assert not _cached("dates")
    assert statements.cached_values("dicts", dicts, pk=agency.pk) == [{"pk": agency.pk}]
    assert not _cached("dicts")


def test_cached_rows_fill_in_an_id_list_in_its_order():
    """An id list (``pk__any_of``) is one slot: each call's ids, however many,
    answer through the one kept statement; a list the build cuts or reorders
    is not the stand-in and is compiled every time; an empty one goes the
    uncached way (Django's ``1 = 0``)."""
    agencies = AgencyFactory.create_batch(4)
    ids = [a.pk for a in agencies]

    def build(*, ids):
        return Agency.objects.filter(pk__any_of=ids).order_by("pk")

    assert [a.pk for a in statements.cached_rows("ids", build, ids=ids[:2])] == ids[:2]
    assert _cached("ids")
    with CaptureQueriesContext(connection) as queries:
        rows = statements.cached_rows("ids", build, ids=[ids[3], ids[1], ids[2]])
    assert [a.pk for a in rows] == sorted([ids[3], ids[1], ids[2]])
    assert len(queries) == 1
    assert statements.cached_rows("ids", build, ids=[ids[0]])[0].acronym == agencies[0].acronym
    assert statements.cached_rows("ids", build, ids=[]) == []

    def first_only(*, ids):
        return Agency.objects.filter(pk__any_of=ids[:1])

    assert [a.pk for a in statements.cached_rows("cut", first_only, ids=ids[2:])] == [ids[2]]
    assert not _cached("cut")
    assert [a.pk for a in statements.cached_rows("cut", first_only, ids=ids[3:])] == [ids[3]]


def test_an_id_list_out_of_the_planners_view_finds_the_same_rows_and_is_a_slot_too():
    """``pk__any_of_unplanned`` finds what ``pk__any_of`` finds — a list, the
    database's own text of ids, none, a related field — with the ids behind
    a subquery the planner does not look into, and is a kept statement's slot."""
    from portal.db import CsvIds
    from reviews.models import ReviewAgency
    from reviews.tests.factories import make_review

    agencies = AgencyFactory.create_batch(4)
    ids = [a.pk for a in agencies]
    for chosen in ([ids[1]], [ids[3], ids[0]], ids, []):
        unplanned = Agency.objects.filter(pk__any_of_unplanned=chosen)
        assert sorted(unplanned.values_list("pk", flat=True)) == sorted(Agency.objects.filter(pk__any_of=chosen).values_list("pk", flat=True))
        assert sorted(unplanned.values_list("pk", flat=True)) == sorted(chosen)
    csv = CsvIds(f"{ids[2]},{ids[0]}", 2)
    assert sorted(Agency.objects.filter(pk__any_of_unplanned=csv).values_list("pk", flat=True)) == sorted([ids[2], ids[0]])
    review = make_review(agencies=agencies[:2])
    assert set(ReviewAgency.objects.filter(agency__any_of_unplanned=ids[1:]).values_list("agency_id", flat=True)) == {ids[1]}
    assert review.pk in ReviewAgency.objects.filter(agency__any_of_unplanned=ids[1:]).values_list("review_id", flat=True)
    sql = str(Agency.objects.filter(pk__any_of_unplanned=ids).query)
    assert "= ANY((SELECT string_to_array(" in sql and "::bigint[])::bigint[])" in sql

    def build(*, ids):
        return Agency.objects.filter(pk__any_of_unplanned=ids).order_by("pk")

    assert [a.pk for a in statements.cached_rows("unplanned", build, ids=ids[:2])] == ids[:2]
    assert _cached("unplanned")
    assert [a.pk for a in statements.cached_rows("unplanned", build, ids=[ids[3], ids[1]])] == sorted([ids[3], ids[1]])


def test_cached_rows_are_off_with_the_setting(settings):
    settings.PORTAL_STATEMENT_CACHE = False
    agency = AgencyFactory()
    rows = statements.cached_rows("off", lambda *, pk: Agency.objects.filter(pk=pk), pk=agency.pk)
    assert [a.pk for a in rows] == [agency.pk]
    assert statements.entries() == []


def test_cached_rows_keep_at_most_the_settings_entries(settings):
    settings.PORTAL_STATEMENT_CACHE_ENTRIES = 3
    agency = AgencyFactory()
    for n in range(5):
        statements.cached_rows(("bounded", n), lambda *, pk: Agency.objects.filter(pk=pk), pk=agency.pk)
    assert [key[2] for key, _ in statements.entries()] == [("bounded", 2), ("bounded", 3), ("bounded", 4)]


def test_a_statement_kept_in_one_thread_runs_on_another_threads_connection(demo):
    """Web servers run requests on several threads, each with its own
    connection: the kept statement holds none and takes the caller's."""
    import threading

    from django.db import connections

    nsa = demo["nsa"]  # committed with the session's demo data: other connections see it
    build = lambda *, pk: Agency.objects.filter(pk=pk)  # noqa: E731
    assert [a.acronym for a in statements.cached_rows("threads", build, pk=nsa.pk)] == ["NSA"]
    seen = {}

    def other():
        try:
            with CaptureQueriesContext(connections["default"]) as queries:
                seen["rows"] = [a.acronym for a in statements.cached_rows("threads", build, pk=nsa.pk)]
            seen["queries"] = len(queries)
            seen["connection"] = id(connections["default"])
        finally:
            connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen["rows"] == ["NSA"] and seen["queries"] == 1
    assert seen["connection"] != id(connection)


def test_cached_rows_whose_build_swallows_its_refused_read_are_compiled_every_time():
    """A build that catches the refused read and carries on (with a default in
    place of the answer) would freeze that default: it is not kept either."""
    first = AgencyFactory()

    def build(*, now):
        try:
            ids = list(Agency.objects.filter(acronym__startswith="AG").values_list("pk", flat=True))
        except Exception:
            ids = []
        return Agency.objects.filter(pk__in=ids or [0], created_at__lte=now).order_by("pk")

    assert [a.pk for a in statements.cached_rows("swallowed", build, now=timezone.now())] == [first.pk]
    assert not _cached("swallowed")
    second = AgencyFactory()
    assert [a.pk for a in statements.cached_rows("swallowed", build, now=timezone.now())] == [first.pk, second.pk]


def test_cached_rows_whose_build_reuses_an_earlier_queryset_are_not_kept():
    """A build that hands back a queryset it built before (a memo) gives both
    stand-in builds the first one's moment: kept, the statement would judge
    every later call at that moment (an expired grant still valid). It is
    refused. (A memo filled before the first compile cannot be told from a
    constant: builds must build afresh — search.selectors.documents does.)"""
    agency = AgencyFactory()
    memo = {}

    def build(*, now):
        if "qs" not in memo:
            memo["qs"] = Agency.objects.filter(pk=agency.pk, created_at__lte=now)
        return memo["qs"]

    statements.cached_rows("memo", build, now=timezone.now())
    assert not _cached("memo")

    def fresh(*, now):
        return Agency.objects.filter(pk=agency.pk, created_at__lte=now)

    assert [a.pk for a in statements.cached_rows("fresh", fresh, now=timezone.now())] == [agency.pk]
    assert _cached("fresh")


def _prepared_texts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def test_kept_statements_write_their_constants_into_their_text_and_keep_the_slots_parameters():
    """Ints (psycopg's wrappers too), negative ints, choices and texts with a
    quote or a percent sign are written into the statement (so a prepared
    statement's generic plan sees them); the slots stay parameters; a text
    with a backslash and a boolean stay parameters; the rows are those of the
    fresh queryset."""
    from reviews.models import ReviewStatus

    odd = AgencyFactory(name="O'Brien 100% \\ sure")
    plain = AgencyFactory(name="Plain agency")

    def build(*, now):
        return (
            Agency.objects.filter(created_at__lte=now, pk__gt=-5)
            .filter(name__in=["O'Brien 100% \\ sure", "Plain agency", "it's 50%", ReviewStatus.IN_REVIEW])
            .exclude(acronym="none")
            .annotate(flag=Value(True))
            .order_by("pk")
        )

    now = timezone.now()
    fresh = [a.pk for a in build(now=now)]
    assert fresh == [odd.pk, plain.pk]
    assert [a.pk for a in statements.cached_rows("inline", build, now=now)] == fresh
    ((key, template),) = [(k, t) for k, t in statements._entries.items() if k[2] == "inline"]
    assert "'it''s 50%%'" in template.sql and "'Plain agency'" in template.sql and "'in_review'" in template.sql
    assert "'none'" in template.sql and "(-5)" in template.sql
    # The slot ("now"), the text with a backslash and the boolean remain parameters.
    assert template.params == [True, statements._TIME_BASE[0], "O'Brien 100% \\ sure"]
    assert [slot[1] for slot in template.slots] == ["now"]
    # Filled in per call: a moment before either agency existed finds neither.
    assert statements.cached_rows("inline", build, now=odd.created_at - datetime.timedelta(seconds=1)) == []
    assert [a.pk for a in statements.cached_rows("inline", build, now=now)] == fresh


def test_kept_statements_run_prepared_unless_asked_not_to_or_given_a_text():
    """A kept statement without a text slot runs prepared on the server; with
    ``prepared=False`` (the search's scoped reads) or a text slot it is
    planned each time, unless the caller says its texts leave the plan alone."""
    agency = AgencyFactory(name="Prepared agency")

    def by_id(*, pk):
        return Agency.objects.filter(pk=pk, name__startswith="Prepared")

    def by_name(*, name):
        return Agency.objects.filter(name=name)

    def grown(call) -> list[str]:
        before = _prepared_texts()
        call()
        return [text for text, runs in _prepared_texts().items() if runs != before.get(text, 0)]

    texts = grown(lambda: statements.cached_rows("prepared-id", by_id, pk=agency.pk))
    assert len(texts) == 1 and "$1" in texts[0] and "'Prepared%%'" not in texts[0] and "LIKE 'Prepared%'" in texts[0]
    assert grown(lambda: statements.cached_rows("unprepared-id", by_id, prepared=False, pk=agency.pk)) == []
    assert grown(lambda: statements.cached_rows("by-name", by_name, name="Prepared agency")) == []
    assert [a.pk for a in statements.cached_rows("by-name", by_name, name="Prepared agency")] == [agency.pk]
    # A caller whose texts leave the plan alone (rows found by id) has it prepared, text slot and all.
    texts = grown(lambda: statements.cached_rows("by-name", by_name, plan_ignores_texts=True, name="Prepared agency"))
    assert len(texts) == 1 and "$1" in texts[0] and "Prepared agency" not in texts[0]
    assert [a.pk for a in statements.cached_rows("by-name", by_name, plan_ignores_texts=True, name="Other")] == []
    # ... unless it also says not to.
    assert grown(lambda: statements.cached_rows("by-name", by_name, prepared=False, plan_ignores_texts=True, name="Prepared agency")) == []
