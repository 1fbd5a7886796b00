"""An agency-scale data set, built set-based in SQL (INSERT … SELECT generate_series).

At scale 1.0: 20 agencies, 500 companies, 5,000 users, 50,000 models,
100,000 reviews in review, ~150,000 agency participations, ~1,000,000
review grants (company groups, agency-lead groups, five reviewers per review
plus the special users), 500,000 assignments, 300,000 documents (one version
each, metadata only), 200,000 RFIs, 100,000 findings, and four named users:

* ``bench-u20@bench.example`` — a reviewer who sees 20 reviews (direct grants);
* ``bench-u500@bench.example`` — sees 500 (300 direct, 200 through a group);
* ``bench-u20000@bench.example`` — sees 20,000 (5,000 direct, 15,000 through a group);
* ``bench-admin@bench.example`` — a program admin (sees everything).

The three reviewers have accepted the access terms of every review they see.
Each document version has extracted text (60–120 words) with its search vector;
questions and findings have text from the same vocabulary (``VOCABULARY``).

``seed(cursor, scale)`` is also used by the plan-shape test on a few thousand
rows. Every statement runs against an otherwise empty bench database, or
next to whatever a test database holds (ids are read back, never assumed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

SPECIAL = {"u20": 20, "u500": 500, "u20000": 20000}
REACH_TRIGGERS = {
    "reviews_reviewuserobjectpermission": "reviews_reach_user_grant",
    "reviews_reviewgroupobjectpermission": "reviews_reach_group_grant",
    "accounts_user_groups": "reviews_reach_membership",
}
COUNT_TRIGGER = "reviews_participation_count_assignment"  # ReviewAgency.active_assignments (reviews/0018)
GROUP_SHARE = {"u20": 0, "u500": 200, "u20000": 15000}

# The words of the seeded texts (documents' extracted text, questions, findings):
# a head of domain words and a long tail of made-up ones, drawn skewed towards
# the head (power 3), so common words are in most texts and tail words in few,
# as in real documentation. bench/search.py queries both.
HEAD_WORDS = (
    "model evaluation safeguard exploit classifier red team refusal jailbreak prompt injection tool agent code "
    "vulnerability patch firmware router network sandbox escape training data distillation weights release capability "
    "cyber biology chemistry uplift threshold benchmark score accuracy latency deployment monitoring logging access "
    "credential endpoint rate limit abuse misuse policy mitigation risk severity finding report appendix method result "
    "baseline ablation transcript attempt success failure human expert review agency company system card security "
    "incident response update channel device operator config flag integrity check signature audit trail compliance "
    "control test suite scenario adversarial robustness alignment oversight autonomy replication persuasion deception "
    "reasoning planning memory context window fine tuning reinforcement feedback reward hacking shutdown resistance"
).split()
_SYLLABLES = ["ka", "lo", "mi", "ren", "tu", "vos", "zan", "pel", "dri", "quo", "shu", "bex", "nor", "fia", "gat"]
TAIL_WORDS = [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES][:2000]
VOCABULARY = HEAD_WORDS + TAIL_WORDS


@dataclass
class Sizes:
    agencies: int
    companies: int
    users: int
    reviews: int
    reviewers_per_review: int = 6

    @property
    def models(self) -> int:
        return max(1, self.reviews // 2)

    @property
    def reviewers(self) -> int:
        return int(self.users * 0.8)

    @property
    def liaisons(self) -> int:
        return self.users - self.agencies - self.reviewers


def sizes_for(scale: float) -> Sizes:
    return Sizes(
        agencies=max(4, int(20 * min(scale * 4, 1))),
        companies=max(5, int(500 * scale)),
        users=max(200, int(5000 * scale)),
        reviews=max(1000, int(100_000 * scale)),
    )


def _one(cur, sql, params=None):
    cur.execute(sql, params or [])
    return cur.fetchone()


def _range(cur, table, where, params):
    lo, hi, n = _one(cur, f"SELECT min(id), max(id), count(*) FROM {table} WHERE {where}", params)
    assert hi - lo + 1 == n, f"{table}: ids are not consecutive"
    return lo


def seed(cur, scale: float = 1.0, log=print) -> dict:
    s = sizes_for(scale)
    t0 = time.perf_counter()
    # The reach triggers recompute one (user, review) pair per grant row; a
    # million rows are loaded with them off and the reach rebuilt in one
    # statement at the end (same result, set-based).
    # (Deferred foreign-key checks pending in the transaction would block ALTER TABLE.)
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table in REACH_TRIGGERS:
        cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER {REACH_TRIGGERS[table]}")
    # Likewise the participations' assignment counts (one UPDATE per assignment
    # row otherwise): recounted in one statement after the assignments are in.
    cur.execute(f"ALTER TABLE reviews_assignment DISABLE TRIGGER {COUNT_TRIGGER}")
    tag = "bench"
    A, C, U, R, M = s.agencies, s.companies, s.users, s.reviews, s.models
    view_id, assign_id = (
        _one(cur, "SELECT p.id FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id "
             "WHERE ct.app_label = 'reviews' AND ct.model = 'review' AND p.codename = %s", [c])[0]
        for c in ("view_review", "assign_reviewer")
    )

    # Organisations and their groups.
    cur.execute("INSERT INTO auth_group (name) SELECT 'bench-agency-' || i || '-leads' FROM generate_series(1, %s) i", [A])
    ag_group0 = _range(cur, "auth_group", "name LIKE 'bench-agency-%%-leads'", [])
    cur.execute("INSERT INTO auth_group (name) SELECT 'bench-company-' || i || '-liaisons' FROM generate_series(1, %s) i", [C])
    co_group0 = _range(cur, "auth_group", "name LIKE 'bench-company-%%-liaisons'", [])
    cur.execute("INSERT INTO auth_group (name) VALUES ('bench-team-u500'), ('bench-team-u20000')")
    team = dict(_fetch(cur, "SELECT name, id FROM auth_group WHERE name LIKE 'bench-team-%%'"))
    cur.execute(
        "INSERT INTO agencies_agency (acronym, name, leads_group_id, created_at) "
        "SELECT 'BA' || i, 'Bench agency ' || i, %s + i - 1, now() FROM generate_series(1, %s) i",
        [ag_group0, A],
    )
    agency0 = _range(cur, "agencies_agency", "acronym LIKE 'BA%%'", [])
    cur.execute(
        "INSERT INTO companies_company (name, slug, liaisons_group_id, created_at) "
        "SELECT 'Bench company ' || i, 'bench-company-' || i, %s + i - 1, now() FROM generate_series(1, %s) i",
        [co_group0, C],
    )
    company0 = _range(cur, "companies_company", "slug LIKE 'bench-company-%%'", [])

    # People: leads 1..A, reviewers A+1..A+Rv (agency = position mod A), then liaisons.
    cur.execute(
        "INSERT INTO accounts_user (password, is_superuser, is_staff, is_active, date_joined, email, full_name, time_zone) "
        "SELECT '!', false, false, true, now(), 'bench-user-' || i || '@bench.example', 'Bench user ' || i, 'America/New_York' "
        "FROM generate_series(1, %s) i",
        [U],
    )
    user0 = _range(cur, "accounts_user", "email LIKE 'bench-user-%%'", [])
    Rv = s.reviewers
    cur.execute(
        "INSERT INTO accounts_membership (user_id, role, agency_id, company_id, created_at) "
        "SELECT %(u0)s + n - 1, "
        "  CASE WHEN n <= %(A)s THEN 'agency_lead' WHEN n <= %(A)s + %(Rv)s THEN 'agency_reviewer' ELSE 'company_liaison' END, "
        "  CASE WHEN n <= %(A)s THEN %(a0)s + n - 1 WHEN n <= %(A)s + %(Rv)s THEN %(a0)s + ((n - %(A)s - 1) %% %(A)s) END, "
        "  CASE WHEN n > %(A)s + %(Rv)s THEN %(c0)s + ((n - %(A)s - %(Rv)s - 1) %% %(C)s) END, now() "
        "FROM generate_series(1, %(U)s) n",
        {"u0": user0, "A": A, "Rv": Rv, "a0": agency0, "c0": company0, "C": C, "U": U},
    )
    cur.execute(
        "INSERT INTO accounts_user_groups (user_id, group_id) "
        "SELECT m.user_id, COALESCE(a.leads_group_id, c.liaisons_group_id) FROM accounts_membership m "
        "LEFT JOIN agencies_agency a ON a.id = m.agency_id AND m.role = 'agency_lead' "
        "LEFT JOIN companies_company c ON c.id = m.company_id "
        "WHERE m.user_id >= %s AND m.role IN ('agency_lead', 'company_liaison')",
        [user0],
    )
    specials = {}
    for key in ("admin", *SPECIAL):
        is_admin = key == "admin"
        uid = _one(
            cur,
            "INSERT INTO accounts_user (password, is_superuser, is_staff, is_active, date_joined, email, full_name, time_zone) "
            "VALUES ('!', %s, %s, true, now(), %s, %s, 'America/New_York') RETURNING id",
            [is_admin, is_admin, f"bench-{key}@bench.example", f"Bench {key}"],
        )[0]
        cur.execute(
            "INSERT INTO accounts_membership (user_id, role, agency_id, company_id, created_at) VALUES (%s, %s, %s, NULL, now())",
            [uid, "program_admin" if is_admin else "agency_reviewer", None if is_admin else agency0],
        )
        specials[key] = uid
    for key in ("u500", "u20000"):
        cur.execute("INSERT INTO accounts_user_groups (user_id, group_id) VALUES (%s, %s)", [specials[key], team[f"bench-team-{key}"]])

    # Models and reviews; deadlines spread over ±60 days around now, creation over a year.
    cur.execute(
        "INSERT INTO companies_aimodel (company_id, name, version, modality, capability_summary, created_at) "
        "SELECT %s + (i %% %s), 'Bench model ' || i, '1.0', 'text', '', now() FROM generate_series(1, %s) i",
        [company0, C, M],
    )
    model0 = _range(cur, "companies_aimodel", "name LIKE 'Bench model %%'", [])
    cur.execute(
        "INSERT INTO reviews_review (model_id, company_id, status, summary, created_by_id, created_at, submitted_at, "
        "  window_start, window_end, withdrawal_reason, access_terms, access_terms_version, outcome_summary, recommendations, "
        "  closing_warnings) "
        "SELECT %(m0)s + (i %% %(M)s), %(c0)s + ((i %% %(M)s) %% %(C)s), 'in_review', '', %(admin)s, "
        # Created over the year before submission (the list sorts by it; ids do not follow it).
        "  now() - interval '45 days' - ((i::bigint * 104729) %% 31536000) * interval '1 second', "
        "  now() - interval '40 days', w - interval '30 days', w, '', '', 1, '', '', '[]'::jsonb "
        "FROM (SELECT i, now() + ((i * 7919) %% 120 - 60) * interval '1 day' + (i %% 86400) * interval '1 second' AS w "
        "      FROM generate_series(1, %(R)s) i) s",
        {"m0": model0, "M": M, "c0": company0, "C": C, "admin": specials["admin"], "R": R},
    )
    review0 = _range(cur, "reviews_review", "created_by_id = %s", [specials["admin"]])
    # Participations: every review one agency, every third a second one.
    cur.execute(
        "INSERT INTO reviews_reviewagency (review_id, agency_id, joined_at) "
        "SELECT %(r0)s + i - 1, %(a0)s + (i %% %(A)s), now() FROM generate_series(1, %(R)s) i "
        "UNION ALL SELECT %(r0)s + i - 1, %(a0)s + ((i + 7) %% %(A)s), now() FROM generate_series(3, %(R)s, 3) i",
        {"r0": review0, "a0": agency0, "A": A, "R": R},
    )

    # Grants: the company's group, the participating agencies' lead groups.
    cur.execute(
        "INSERT INTO reviews_reviewgroupobjectpermission (permission_id, group_id, content_object_id, granted_at, reason) "
        "SELECT %s, c.liaisons_group_id, r.id, now(), 'bench' FROM reviews_review r JOIN companies_company c ON c.id = r.company_id "
        "WHERE r.id >= %s",
        [view_id, review0],
    )
    cur.execute(
        "INSERT INTO reviews_reviewgroupobjectpermission (permission_id, group_id, content_object_id, granted_at, reason) "
        "SELECT p.id, a.leads_group_id, ra.review_id, now(), 'bench' FROM reviews_reviewagency ra "
        "JOIN agencies_agency a ON a.id = ra.agency_id CROSS JOIN (VALUES (%s), (%s)) p(id) WHERE ra.review_id >= %s",
        [view_id, assign_id, review0],
    )
    # Five reviewers of the review's first agency each, with accepted assignments.
    per_agency = max(1, Rv // A)
    cur.execute(
        "CREATE TEMP TABLE bench_pairs ON COMMIT DROP AS "
        "SELECT DISTINCT %(r0)s + i - 1 AS review_id, %(u0)s + %(A)s + ((((i * 7 + j * 13) %% %(Q)s) * %(A)s) + (i %% %(A)s)) AS user_id, "
        "  %(a0)s + (i %% %(A)s) AS agency_id "
        "FROM generate_series(1, %(R)s) i CROSS JOIN generate_series(1, %(K)s) j",
        {"r0": review0, "u0": user0, "A": A, "Q": per_agency, "a0": agency0, "R": R, "K": s.reviewers_per_review},
    )
    # The special users: direct grants spread over the whole deadline range, the rest through their team group.
    for key, total in SPECIAL.items():
        total = min(total, R)
        via_group = min(GROUP_SHARE[key], total)
        direct = total - via_group
        stride = max(1, R // max(total, 1))
        cur.execute(
            "INSERT INTO bench_pairs (review_id, user_id, agency_id) "
            "SELECT %s + ((k * %s) %% %s), %s, %s FROM generate_series(0, %s - 1) k",
            [review0, stride, R, specials[key], agency0, direct],
        )
        if via_group:
            cur.execute(
                "INSERT INTO reviews_reviewgroupobjectpermission (permission_id, group_id, content_object_id, granted_at, reason) "
                "SELECT %s, %s, %s + ((k * %s + 1) %% %s), now(), 'bench' FROM generate_series(%s, %s - 1) k "
                "ON CONFLICT DO NOTHING",
                [view_id, team[f"bench-team-{key}"], review0, stride, R, direct, total],
            )
    cur.execute(
        "INSERT INTO reviews_reviewuserobjectpermission (permission_id, user_id, content_object_id, granted_at, reason) "
        "SELECT %s, user_id, review_id, now(), 'bench' FROM bench_pairs ON CONFLICT DO NOTHING",
        [view_id],
    )
    cur.execute(
        "INSERT INTO reviews_assignment (review_id, reviewer_id, agency_id, status, invited_by_id, invited_at, responded_at, "
        "  has_conflict, coi_declaration, decline_reason, removal_reason) "
        "SELECT DISTINCT ON (review_id, user_id) review_id, user_id, agency_id, 'accepted', %s, now(), now(), false, 'bench', '', '' "
        "FROM bench_pairs",
        [specials["admin"]],
    )
    cur.execute("SELECT reviews_participation_recount()")
    cur.execute(f"ALTER TABLE reviews_assignment ENABLE TRIGGER {COUNT_TRIGGER}")
    _seed_material(cur, review0=review0, R=R, A=A, agency0=agency0, user0=user0, company0=company0, C=C, M=M)
    cur.execute("SELECT reviews_reach_rebuild()")
    # The rebuild's delete and insert each left a kept change per user (reviews/0020): folded into one.
    cur.execute("SELECT reviews_reach_delta_compact()")
    # The special reviewers have accepted the access terms of every review they
    # see, so their material (documents, questions, findings) is open to them.
    cur.execute(
        "INSERT INTO reviews_termsacceptance (review_id, user_id, version, terms_sha256, accepted_at) "
        "SELECT r.id, x.user_id, r.access_terms_version, '', now() FROM reviews_reviewreach x "
        "JOIN reviews_review r ON r.id = x.review_id WHERE x.user_id = ANY(%s) ON CONFLICT DO NOTHING",
        [[specials[k] for k in SPECIAL]],
    )
    for table in REACH_TRIGGERS:
        cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER {REACH_TRIGGERS[table]}")
    cur.execute("SET CONSTRAINTS ALL DEFERRED")
    cur.execute("ANALYZE")
    counts = dict(
        reviews=R,
        documents=_one(cur, "SELECT count(*) FROM documents_document")[0],
        document_versions=_one(cur, "SELECT count(*) FROM documents_documentversion")[0],
        rfis=_one(cur, "SELECT count(*) FROM rfis_informationrequest")[0],
        findings=_one(cur, "SELECT count(*) FROM findings_finding")[0],
        finding_comments=_one(cur, "SELECT count(*) FROM findings_findingcomment")[0],
        user_grants=_one(cur, "SELECT count(*) FROM reviews_reviewuserobjectpermission")[0],
        group_grants=_one(cur, "SELECT count(*) FROM reviews_reviewgroupobjectpermission")[0],
        reach_rows=_one(cur, "SELECT count(*) FROM reviews_reviewreach")[0],
        assignments=_one(cur, "SELECT count(*) FROM reviews_assignment")[0],
        users=U + len(specials),
        seconds=round(time.perf_counter() - t0, 1),
    )
    log(f"seeded {tag} at scale {scale}: {counts}")
    return {"specials": specials, "counts": counts, "sizes": s}


def _words_sql(seed_expr: str, count) -> str:
    """A lateral subquery: ``count`` words of %(vocab)s for the row ``seed_expr``
    (deterministic: a hash of the row and position, skewed towards the head)."""
    return (
        "SELECT string_agg((%(vocab)s::text[])[1 + floor(power((hashint8((" + seed_expr + ") * 1000 + g) & 1048575) / 1048576.0, 3) "
        "* array_length(%(vocab)s::text[], 1))::int], ' ' ORDER BY g) AS words "
        f"FROM generate_series(1, {count}) g"
    )


def _fetch(cur, sql, params=None):
    cur.execute(sql, params or [])
    return cur.fetchall()


def seed_finding_comments(cur, *, review0) -> None:
    """Two comments (20 words each) on every finding of the reviews from
    ``review0`` on, by its author: the first internal to the agency, the
    second not (search reads them: search.selectors.material). Their vectors
    are generated columns (search/migrations/0008)."""
    cur.execute(
        "INSERT INTO findings_findingcomment (finding_id, author_id, side, agency_id, internal, body, created_at) "
        "SELECT f.id, f.author_id, 'agency', f.agency_id, k = 1, 'Bench comment: ' || w.words, f.created_at + k * interval '1 day' "
        "FROM findings_finding f CROSS JOIN generate_series(1, 2) k "
        f"CROSS JOIN LATERAL ({_words_sql('f.id * 2 + k', 20)}) w "
        "WHERE f.review_id >= %(r0)s",
        {"vocab": VOCABULARY, "r0": review0},
    )


def _seed_material(cur, *, review0, R, A, agency0, user0, company0, C, M) -> None:
    """Three documents (one version each, metadata only), two RFIs and one
    finding per review (with two comments: ``seed_finding_comments``). A document's uploader is a liaison of the review's
    company; RFIs and findings come from the lead of the review's first agency
    (users user0 .. user0+A-1 lead agencies agency0 .. agency0+A-1 in order)."""
    marking = _one(cur, "SELECT min(id) FROM documents_handlingmarking")[0]
    category = _one(cur, "SELECT min(id) FROM findings_findingcategory")[0]
    if marking is None or category is None:
        raise RuntimeError("handling markings and finding categories are created by migrate; run it before seeding")
    liaison0 = _one(cur, "SELECT min(user_id) FROM accounts_membership WHERE role = 'company_liaison' AND user_id >= %s", [user0])[0]
    kinds = ["model_card", "system_card", "evaluation_results", "red_team_report", "access_instructions", "security_documentation"]
    cur.execute(
        "INSERT INTO documents_document (kind, title, created_at, created_by_id, review_id, marking_id, purpose) "
        "SELECT (%(kinds)s::text[])[1 + (k + i) %% 6], 'Bench document ' || i || '-' || k, now() - interval '40 days', "
        "  %(l0)s + ((i %% %(M)s) %% %(C)s), %(r0)s + i - 1, %(mk)s, 'review' "
        "FROM generate_series(1, %(R)s) i CROSS JOIN generate_series(1, 3) k",
        {"kinds": kinds, "l0": liaison0, "M": M, "C": C, "r0": review0, "mk": marking, "R": R},
    )
    cur.execute(
        "INSERT INTO documents_documentversion (number, file, original_name, size, content_type, sha256, uploaded_at, "
        "  scan_status, scan_detail, scanned_at, document_id, uploaded_by_id, marking_id) "
        "SELECT 1, 'bench/' || d.id || '.pdf', 'bench-' || d.id || '.pdf', 1024 + d.id %% 4096, 'application/pdf', "
        "  encode(sha256(d.id::text::bytea), 'hex'), d.created_at, 'clean', '', d.created_at, d.id, d.created_by_id, d.marking_id "
        "FROM documents_document d WHERE d.review_id >= %s",
        [review0],
    )
    cur.execute(
        "INSERT INTO rfis_informationrequest (subject, question, due_at, blocking, status, created_at, answered_at, closed_at, "
        "  agency_id, asked_by_id, review_id, category, private) "
        "SELECT 'Bench question ' || i || '-' || k, 'What does the evaluation cover? ' || w.words, now() + ((i + k) %% 20 - 5) * interval '1 day', "
        "  k = 1 AND i %% 10 = 0, CASE WHEN (i + k) %% 3 = 0 THEN 'answered' ELSE 'open' END, now() - interval '20 days', "
        "  CASE WHEN (i + k) %% 3 = 0 THEN now() - interval '10 days' END, NULL, "
        "  %(a0)s + (i %% %(A)s), %(u0)s + (i %% %(A)s), %(r0)s + i - 1, 'other', false "
        "FROM generate_series(1, %(R)s) i CROSS JOIN generate_series(1, 2) k "
        f"CROSS JOIN LATERAL ({_words_sql('i * 2 + k', 12)}) w",
        {"a0": agency0, "A": A, "u0": user0, "r0": review0, "R": R, "vocab": VOCABULARY},
    )
    severities = ["critical", "high", "medium", "low", "informational"]
    sharings = ["internal", "agencies", "company"]
    cur.execute(
        "INSERT INTO findings_finding (title, severity, description, evidence, sharing, shared_at, created_at, agency_id, "
        "  author_id, review_id, shared_by_id, category_id, status, response, response_rationale, retest_result) "
        "SELECT 'Bench finding ' || i, (%(sev)s::text[])[1 + i %% 5], 'Bench description: ' || w.words, '', (%(sh)s::text[])[1 + i %% 3], "
        "  CASE WHEN i %% 3 = 0 THEN NULL ELSE now() - interval '5 days' END, now() - interval '10 days', "
        "  %(a0)s + (i %% %(A)s), %(u0)s + (i %% %(A)s), %(r0)s + i - 1, "
        "  CASE WHEN i %% 3 = 0 THEN NULL ELSE %(u0)s + (i %% %(A)s) END, %(cat)s, "
        "  CASE WHEN i %% 3 = 0 THEN 'recorded' ELSE 'shared' END, '', '', '' "
        f"FROM generate_series(1, %(R)s) i CROSS JOIN LATERAL ({_words_sql('i', 30)}) w",
        {"sev": severities, "sh": sharings, "a0": agency0, "A": A, "u0": user0, "r0": review0, "R": R, "cat": category,
         "vocab": VOCABULARY},
    )
    seed_finding_comments(cur, review0=review0)
    # Every version's extracted text (60-120 words) with its search vector, as the
    # extraction task leaves it; the GIN index is rebuilt once afterwards.
    cur.execute("DROP INDEX IF EXISTS documenttext_vector_idx")
    cur.execute("DROP INDEX IF EXISTS documenttext_pairs_idx")
    cur.execute(
        "INSERT INTO documents_documenttext (version_id, review_id, status, reason, text, pages, truncated, indexed_chars, extracted_at, "
        "  search_vector, search_pairs) "
        "SELECT v.id, d.review_id, 'extracted', '', w.words, 1 + v.id %% 40, false, length(w.words), v.uploaded_at, "
        "  to_tsvector('english', w.words), search_pairs(to_tsvector('english', w.words)) "
        "FROM documents_documentversion v JOIN documents_document d ON d.id = v.document_id "
        f"CROSS JOIN LATERAL ({_words_sql('v.id', '60 + v.id %% 61')}) w "
        "WHERE v.document_id >= (SELECT min(id) FROM documents_document WHERE review_id >= %(r0)s)",
        {"vocab": VOCABULARY, "r0": review0},
    )
    cur.execute("CREATE INDEX documenttext_vector_idx ON documents_documenttext USING gin (search_vector)")
    cur.execute("CREATE INDEX documenttext_pairs_idx ON documents_documenttext USING gin (search_pairs)")
