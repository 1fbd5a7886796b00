"""The permission filter's plan: index access only, never a sequential scan of
the review or grant tables (on a seeded set of a few thousand reviews); and
every order of the review list a walk of one index that stops after the
page, never a sort of everything visible; and the document search's use of
its GIN indexes. One seeded set serves every plan-shape test of the portal:
seeding it is most of their time."""

import json
import re

import pytest
from django.db import connection

from accounts.models import User
from bench.seed import seed
from reviews.querysets import review_ids_sql
from reviews.selectors import SORTS, review_list

pytestmark = pytest.mark.django_db

WATCHED = {
    "reviews_review",
    "reviews_reviewuserobjectpermission",
    "reviews_reviewgroupobjectpermission",
    "reviews_reviewreach",
}
USERS = ("u20", "u500", "u20000")


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _explain(sql, params, *, analyze=False):
    """The plan's nodes; ``params`` None for a captured statement (its text is
    complete: a LIKE's % stays as it is)."""
    with connection.cursor() as cursor:
        cursor.execute(("EXPLAIN (ANALYZE, FORMAT JSON) " if analyze else "EXPLAIN (FORMAT JSON) ") + sql, params)
        raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    return list(_nodes(plan))


@pytest.fixture(scope="module")
def seeded(module_rollback):
    """The bench's seeded set at a tenth of its size, built once for the module."""
    with connection.cursor() as cursor:
        result = seed(cursor, scale=0.1, log=lambda m: None)
        cursor.execute("ANALYZE")
    return result


def _parts(sql):
    """A captured statement, or the parts of one that read several kept
    statements together (``portal.statements.cached_values_together``: a
    search's unscoped index reads), each planned on its own as it is there."""
    start = "SELECT 0, id::bigint FROM ("
    if not sql.startswith(start):
        return [sql]
    parts = re.split(r"\) part \(id\) UNION ALL SELECT \d+, id::bigint FROM \(", sql[len(start):])
    parts[-1] = parts[-1].removesuffix(") part (id)")
    return parts


def _statements(captured):
    return [part for query in captured for part in _parts(query["sql"])]


def _seq_scans(nodes):
    return [n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in WATCHED]


def test_permission_filter_and_every_order_of_the_page_use_indexes_only(db, seeded):
    expected_counts = {"u20": 20, "u500": 500, "u20000": min(20000, seeded["sizes"].reviews)}
    for who in USERS:
        user = User.objects.select_related("membership").get(pk=seeded["specials"][who])
        # The grants themselves (what the reach rows are derived from).
        sql, params = review_ids_sql(user, "view_review")
        nodes = _explain(sql, params)
        assert not _seq_scans(nodes), (who, "grants", _seq_scans(nodes))

        qs = review_list(user=user)
        # The count: the kept changes and the expiring rows' partial index;
        # every page's ids: the reach index alone.
        assert qs.known_count() == expected_counts[who]
        for label, (sql, params), indexes in (
            ("count", qs.known_count.statement, {"review_reach_expiring_idx"}),
            ("first page ids", qs.page_ids[:25].query.sql_with_params(), {"review_reach_deadline_idx", "review_reach_unique"}),
            ("last page ids", qs.page_ids.reverse()[:25].query.sql_with_params(), {"review_reach_deadline_idx", "review_reach_unique"}),
        ):
            nodes = _explain(sql, params)
            assert not _seq_scans(nodes), (who, label, _seq_scans(nodes))
            assert {n.get("Index Name") for n in nodes} & indexes, (who, label)
            assert "reviews_review" not in {n.get("Relation Name") for n in nodes}, (who, label, "touches reviews")
    # (One seeded set for both: seeding it is most of this file's time.)
    _every_sort_walks_one_index_and_stops(seeded)


def test_detail_lookup_touches_only_the_asked_review(db, seeded):
    user = User.objects.select_related("membership").get(pk=seeded["specials"]["u20000"])
    sql, params = review_ids_sql(user, "view_review", among=[12345])
    nodes = _explain(sql, params)
    assert not _seq_scans(nodes)
    # Both branches look the one review up by index instead of reading 20,000 grants.
    assert all(n.get("Plan Rows", 0) <= 5 for n in nodes if n["Node Type"] in ("Index Only Scan", "Index Scan"))


# Each order's index: walked forwards for the first pages, backwards for the last.
REACH_INDEX = {
    "deadline": "review_reach_deadline_idx",
    "-deadline": "review_reach_deadline_desc_idx",
    "model": "review_reach_model_idx",
    "-model": "review_reach_model_idx",
    "company": "review_reach_company_idx",
    "-company": "review_reach_company_idx",
    "status": "review_reach_status_idx",
    "-status": "review_reach_status_desc_idx",
    "created": "review_reach_created_idx",
    "-created": "review_reach_created_idx",
}
# The program office's list (every review): the reviews' own indexes, or
# ReviewNameKey's for the names.
ADMIN_INDEX = {
    "deadline": "review_deadline_idx",
    "-deadline": "review_deadline_desc_idx",
    "model": "review_name_key_model_idx",
    "-model": "review_name_key_model_idx",
    "company": "review_name_key_company_idx",
    "-company": "review_name_key_company_idx",
    "status": "review_status_idx",
    "-status": "review_status_desc_idx",
    "created": "review_created_idx",
    "-created": "review_created_idx",
}


def _sorts_everything(nodes):
    """A Sort node (an Incremental Sort only orders ties within the walked index's groups)."""
    return [n.get("Sort Key") for n in nodes if n["Node Type"] == "Sort"]


def _indexes(nodes):
    return {n["Index Name"] for n in nodes if "Index Name" in n}


def _every_sort_walks_one_index_and_stops(seeded):
    assert set(REACH_INDEX) == set(SORTS) == set(ADMIN_INDEX)
    for who in USERS:
        user = User.objects.select_related("membership").get(pk=seeded["specials"][who])
        for sort in SORTS:
            qs = review_list(user=user, sort=sort)
            for label, ids in {"first page": qs.page_ids[:25], "last page": qs.page_ids.reverse()[:25]}.items():
                nodes = _explain(*ids.query.sql_with_params())
                assert _indexes(nodes) == {REACH_INDEX[sort]}, (who, sort, label)
                assert not _sorts_everything(nodes) and not _seq_scans(nodes), (who, sort, label)
                assert "reviews_review" not in {n.get("Relation Name") for n in nodes}, (who, sort, label)
    admin = User.objects.select_related("membership").get(pk=seeded["specials"]["admin"])
    for sort in SORTS:
        qs = review_list(user=admin, sort=sort)
        ids = qs.page_ids if getattr(qs, "page_ids", None) is not None else qs.values_list("pk", flat=True)
        for label, page in {"first page": ids[:25], "last page": ids.reverse()[:25]}.items():
            nodes = _explain(*page.query.sql_with_params())
            assert ADMIN_INDEX[sort] in _indexes(nodes), ("admin", sort, label)
            assert not _sorts_everything(nodes) and not _seq_scans(nodes), ("admin", sort, label)


def test_one_status_list_walks_a_reach_index_and_stops(db, seeded):
    """A list of one status (``?status=``) that nearly every review holds
    pages off one reach index walked in the list's order, first and last
    page, in every order: no sort of everything, no review read (it sorted
    every visible review of the status: 30-113 ms at bench scale)."""
    for who in USERS:
        user = User.objects.select_related("membership").get(pk=seeded["specials"][who])
        for sort in SORTS:
            qs = review_list(user=user, sort=sort, status="in_review")
            for label, ids in {"first page": qs.page_ids[:25], "last page": qs.page_ids.reverse()[:25]}.items():
                nodes = _explain(*ids.query.sql_with_params())
                # The order's own index, or within one status a status index (in deadline
                # order too); a status order, within one status, is the deadline's.
                walked = {REACH_INDEX[sort], "review_reach_status_idx", "review_reach_status_desc_idx"}
                walked |= {REACH_INDEX["deadline"]} if sort in ("status", "-status") else set()
                assert len(_indexes(nodes)) == 1 and _indexes(nodes) <= walked, (who, sort, label)
                assert not _sorts_everything(nodes) and not _seq_scans(nodes), (who, sort, label)
                assert "reviews_review" not in {n.get("Relation Name") for n in nodes}, (who, sort, label)


def test_models_page_walks_the_name_index(db, seeded):
    """The program office's models page (every model, by name: companies.views.model_list)
    reads its first and last page's ids off aimodel_name_idx, never sorting all models."""
    from companies.models import AIModel

    admin = User.objects.select_related("membership").get(pk=seeded["specials"]["admin"])
    ids = AIModel.objects.visible_to(admin).order_by("name", "version", "id").values_list("pk", flat=True)
    assert ids.count() > 1000
    for label, page in {"first page": ids[:25], "last page": ids.reverse()[:25]}.items():
        nodes = _explain(*page.query.sql_with_params())
        assert "aimodel_name_idx" in _indexes(nodes), label
        assert not _sorts_everything(nodes), label
        assert "Seq Scan" not in {n["Node Type"] for n in nodes}, label


def test_document_search_uses_the_gin_indexes_and_no_sequential_scan(db, seeded):
    """Every statement of a search on the same set (30,000 documents with text),
    for a user who sees 500 reviews (the scope is walked) and one who sees
    20,000 (the matches are walked, search/probe.py): none reads a table of
    documents, versions, texts, questions, findings or their comments sequentially, and the
    text match comes from a GIN index — the words' vectors, or for a phrase
    its adjacent-word pairs."""
    from django.test.utils import CaptureQueriesContext

    from bench.seed import TAIL_WORDS
    from search.selectors import search

    # Not watched: the questions' messages (none in this set: a scan of an empty
    # table is right), and the unscoped read of title matches, whose plan on
    # these titles ("Bench document 12-3": every title shares its words, so any
    # other word looks common to the planner) is a scan; bench/search.py on the
    # 100,000-review set shows it reading the title GIN index.
    watched = {"documents_document", "documents_documentversion", "documents_documenttext", "rfis_informationrequest",
               "findings_finding", "findings_findingcomment"}
    words = (TAIL_WORDS[1500], f"{TAIL_WORDS[1400]} {TAIL_WORDS[1700]}", f'"{TAIL_WORDS[1200]} {TAIL_WORDS[1300]}"', TAIL_WORDS[1600][:4] + "*")
    sequential, without_gin = [], []
    for who in ("u500", "u20000"):
        user = User.objects.select_related("membership").get(pk=seeded["specials"][who])
        for text in words:
            with CaptureQueriesContext(connection) as ctx:
                search(user=user, text=text)
            indexes = set()
            for sql in _statements(ctx.captured_queries):
                title_matches = sql.startswith('SELECT "documents_document"."id" AS "pk" FROM "documents_document" WHERE')
                if not sql.lstrip().upper().startswith("SELECT") or title_matches:
                    continue
                nodes = _explain(sql, None)
                sequential += [(who, text, n["Relation Name"], sql[:200]) for n in nodes
                               if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in watched]
                indexes |= {n.get("Index Name") for n in nodes}
            gin = "documenttext_pairs_idx" if text.startswith('"') else "documenttext_vector_idx"
            if who == "u20000" and gin not in indexes:
                without_gin.append((who, text, gin))
    assert sequential == [] and without_gin == []


def test_exact_matches_are_read_off_the_lower_indexes(db, seeded):
    """A search's exact-match reads (search.selectors.common.exact_branch) take
    each kind's ``lower()`` index (search/migrations/0003) — a document's title,
    a question's subject, a finding's title, a model's name and its name and
    version — and never scan a table, for a user who sees 500 reviews and one
    who sees 20,000."""
    from django.test.utils import CaptureQueriesContext

    from documents.models import Document
    from search.selectors import search

    expected = {"search_document_title_lower_idx", "search_rfi_subject_lower_idx", "search_finding_title_lower_idx",
                "search_aimodel_name_lower_idx", "search_aimodel_name_version_lower_idx"}
    title = Document.objects.order_by("pk").values_list("title", flat=True).first()
    for who in ("u500", "u20000"):
        user = User.objects.select_related("membership").get(pk=seeded["specials"][who])
        with CaptureQueriesContext(connection) as ctx:
            search(user=user, text=title)
        exact = [sql for sql in _statements(ctx.captured_queries) if "LOWER(" in sql and "CASE WHEN" not in sql and "LIKE" not in sql]
        nodes = [node for sql in exact for node in _explain(sql, ())]
        assert {n.get("Index Name") for n in nodes} >= expected, who
        assert [n.get("Relation Name") for n in nodes if n["Node Type"] == "Seq Scan"] == [], who


def test_a_date_filtered_search_reads_the_created_indexes(db, seeded):
    """A search within dates (a week with nothing made in it) starts from each
    kind's moment of creation: the documents', questions' and findings'
    ``created_at`` indexes, for a user who sees 500 reviews and one who sees
    20,000 — not every match of the words, as ``__date`` made it (0.2-0.7 s at
    bench scale)."""
    import datetime as dt

    from django.test.utils import CaptureQueriesContext

    from search.selectors import Filters, search

    week = Filters(date_from=dt.date(2031, 3, 3), date_to=dt.date(2031, 3, 9))
    for who in ("u500", "u20000"):
        user = User.objects.select_related("membership").get(pk=seeded["specials"][who])
        with CaptureQueriesContext(connection) as ctx:
            search(user=user, text="evaluation", filters=week)
        nodes = []
        for sql in _statements(ctx.captured_queries):
            # Not the unscoped read of title matches (the dates apply when they are scoped; see above for its plan here).
            title_matches = sql.startswith('SELECT "documents_document"."id" AS "pk" FROM "documents_document" WHERE')
            if sql.lstrip().upper().startswith("SELECT") and not title_matches:
                nodes += _explain(sql, None)
        assert {n.get("Index Name") for n in nodes} >= {"document_created_idx", "rfi_created_idx", "finding_created_idx"}, who
        material = {"documents_document", "documents_documentversion", "documents_documenttext", "rfis_informationrequest", "findings_finding"}
        assert [n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in material] == [], who


def test_an_agency_filtered_search_reads_questions_and_findings_off_their_agency_vector_indexes(db, seeded):
    """A search narrowed to an agency reads the questions and findings that
    agency wrote off one GIN index on (agency, vector) each (search migration
    0004): never the agency's btree and the vector's GIN intersected (a
    BitmapAnd reading every entry of a common word: 4-6 ms at bench scale),
    for a user who sees 500 reviews. (At this tenth of the bench's size the
    20,000-review user and the office see every review, and the planner
    rightly reads the few questions in order and stops; at full size they
    too read these indexes: bench search, ``one_word_of_agency``.)"""
    from django.test.utils import CaptureQueriesContext

    from bench.search import filtered
    from search.selectors import Filters, search

    user = User.objects.select_related("membership").get(pk=seeded["specials"]["u500"])
    agency = filtered(user)["one_word_of_agency"][1]["agency"]
    with CaptureQueriesContext(connection) as ctx:
        search(user=user, text="safeguard", filters=Filters(kinds=("rfi", "finding"), agency_id=agency))
    nodes = [n for sql in _statements(ctx.captured_queries) if sql.lstrip().upper().startswith("SELECT") for n in _explain(sql, None)]
    indexes = {n.get("Index Name") for n in nodes}
    assert {"search_rfi_agency_vector_idx", "search_finding_agency_vector_idx"} <= indexes, indexes
    assert [n for n in nodes if n["Node Type"] == "BitmapAnd"] == []


def _section_rows_plan(user, key):
    """The plan of the first statement of one dashboard section (its rows, in order) and the section."""
    from dashboard.inbox import inbox_for

    statements = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        section = inbox_for(user, only={key}).section(key)
    return _explain(*statements[0]), section


def test_reviewer_sections_walk_their_assignment_index_in_order(db, seeded):
    """The 20,000-review reviewer's "accept the access terms" and "windows
    ending soon": their accepted assignments off a partial index in the
    section's order, never a walk of the reviews."""
    user = User.objects.select_related("membership").get(pk=seeded["specials"]["u20000"])
    for key, index in (("terms", "assignment_terms_due_idx"), ("window_ending", "assignment_work_idx")):
        nodes, _ = _section_rows_plan(user, key)
        assert index in _indexes(nodes), (key, _indexes(nodes))
        assert not [n for n in nodes if "Sort" in n["Node Type"] and "review_window" in str(n.get("Sort Key"))], key
        reads = [n for n in nodes if n.get("Relation Name") == "reviews_review"]
        assert all(n["Node Type"] == "Index Scan" and n["Index Name"] == "reviews_review_pkey" for n in reads), key


def test_lead_sections_walk_their_participation_index_in_order(db, seeded):
    """The lead's "assign a reviewer" and "sign off" rows: the agency's
    participations off the section's partial index, in its order (no sort by it),
    reviews read only for the rows shown."""
    from dashboard.inbox import LIMIT

    lead = (
        User.objects.select_related("membership").filter(email__startswith="bench-user-", membership__role="agency_lead")
        .order_by("pk").first()
    )
    for key, index in (("uncovered", "participation_bare_idx"), ("sign_offs", "participation_in_review_idx")):
        nodes, section = _section_rows_plan(lead, key)  # the rows, in order; then the count
        assert len(section.items) == LIMIT and section.count > LIMIT, (key, section.count)
        assert index in _indexes(nodes), (key, _indexes(nodes))
        # (A sort inside the running clock stop's subquery orders one review's stops.)
        assert not [n for n in nodes if "Sort" in n["Node Type"] and "review_window" in str(n.get("Sort Key"))], key
        reads = [n for n in nodes if n.get("Relation Name") == "reviews_review"]
        assert reads and all(n["Node Type"] == "Index Scan" and n["Index Name"] == "reviews_review_pkey" for n in reads), key


def test_reviewer_window_ending_rows_are_priced_alike_for_every_bound(db, seeded):
    """The "windows ending soon" rows statement runs prepared (portal.statements)
    with its bound hidden from the planner (portal.db.UnplannedValue): a plan
    made for a bound a day away and one made for a year away are priced the
    same, so PostgreSQL keeps its generic plan from the sixth run on. With the
    bound in view (at bench scale: custom plans priced 390 against the generic
    430) it planned the statement again on every visit."""
    import re

    from dashboard.inbox import inbox_for

    user = User.objects.select_related("membership").get(pk=seeded["specials"]["u20000"])
    for _ in range(8):
        inbox_for(user, only={"window_ending"})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, statement, parameter_types::text, generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s AND statement LIKE %s",
            ['%"reviews_assignment"."review_window_end" <=%', "%ORDER BY%"],
        )
        found = cursor.fetchall()
        assert len(found) == 1, found
        name, statement, types, generic, custom = found[0]
        assert custom == 5 and generic >= 3, (custom, generic)  # other tests of the module may have run it too
        bound = re.search(r'"review_window_end" <= (?:\(SELECT \()?\$(\d+)', statement).group(1)
        costs = []
        cursor.execute("SET plan_cache_mode = force_custom_plan")
        try:
            for ahead in ("1 day", "365 days"):
                args = ", ".join(
                    f"now() + interval '{ahead}'" if str(n) == bound else "now()" for n in range(1, len(types.split(",")) + 1)
                )
                cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE {name}({args})")
                raw = cursor.fetchone()[0]
                costs.append((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]["Total Cost"])
        finally:
            cursor.execute("RESET plan_cache_mode")
    assert costs[0] == costs[1], costs


def _search_plans(user, text, *, analyze=False):
    """(statement, plan nodes) of every SELECT one search runs, in turn."""
    from django.test.utils import CaptureQueriesContext

    from search.selectors import search

    with CaptureQueriesContext(connection) as ctx:
        search(user=user, text=text)
    return [(query["sql"], _explain(query["sql"], None, analyze=analyze))
            for query in ctx.captured_queries if query["sql"].lstrip().upper().startswith("SELECT")]


MATERIAL = ("documents_document", "documents_documentversion", "rfis_informationrequest", "findings_finding")


def test_search_confirmations_reach_material_by_the_review_alone(db, seeded):
    """A search's confirmations (``visible_to(user, among=...)``) name the
    reviews in the reach rows' condition only: from each reach row the
    material is read by its review alone, without the reviews' ids as a
    second key of that index scan (set up again on every loop), for a user who sees 500 reviews and one who sees 20,000."""
    checked = []
    for who in ("u500", "u20000"):
        user = User.objects.select_related("membership").get(pk=seeded["specials"][who])
        for sql, nodes in _search_plans(user, "evaluation"):
            if '"reviews_reviewreach"' not in sql:
                continue
            for node in nodes:
                if node.get("Relation Name") in MATERIAL and "review_id" in node.get("Index Cond", ""):
                    checked.append((who, node["Relation Name"], "ANY" in node["Index Cond"]))
    assert {relation for _, relation, _ in checked} >= {"findings_finding", "rfis_informationrequest"}
    assert [c for c in checked if c[2]] == []


def test_search_rows_join_their_reviews_for_the_shown_rows_only(db, seeded):
    """Each kind's rows statement sorts and cuts the found ids on the kind's
    own table, then joins the review, model and company of the rows shown
    (``search.selectors.common.first_rows``): for a word found more than ten
    times, the review is read at most ten times per kind, not once per match."""
    reads = {}
    user = User.objects.select_related("membership").get(pk=seeded["specials"]["u20000"])
    for sql, nodes in _search_plans(user, "evaluation", analyze=True):
        kind = next((table for table in MATERIAL if sql.startswith(f'SELECT "{table}"."id", "{table}"."review_id"')), None)
        if kind is None or 'INNER JOIN "reviews_review"' not in sql:
            continue
        reads[kind] = sum(n["Actual Rows"] * n["Actual Loops"] for n in nodes if n.get("Relation Name") == "reviews_review")
        found = sum(n["Actual Rows"] * n["Actual Loops"] for n in nodes if n.get("Relation Name") == kind and "Index Cond" in n)
        assert found > 10, (kind, found)
    assert reads == {"documents_document": 10, "rfis_informationrequest": 10, "findings_finding": 10}
