"""The one way in: every read of reviews and assignments is scoped here.

Visibility comes from guardian's direct-FK grant tables, read directly
rather than through ``get_objects_for_user`` so that each grant's
``expires_at`` is honoured on every request, and so that the plan is the
fast one: the user's visible ids are resolved first from the grants alone
(an index-only walk of the unique (user|group, permission, object) indexes),
then passed to the review query as one array parameter. An ``OR`` of two
``IN`` subqueries would make PostgreSQL filter every review instead.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from portal.scoping import user_may_see_anything  # noqa: F401  (dependent apps import it from here)
from portal.db import AnyOf, CsvIds  # noqa: F401  (AnyOf registers the field__any_of lookup)


def review_ids_granted(user, codename: str = "view_review", *, among: list[int] | None = None) -> CsvIds:
    """Ids of reviews on which ``user`` holds ``codename``, directly or through a group.

    One statement, read straight off the unique (subject, permission, object)
    indexes of the two grant tables; unexpired grants only. ``among`` limits
    the answer to some reviews (a detail page asks about one, cheaply).
    Raw SQL because it is the portal's hottest query: building 20,000 ids
    through the ORM's union costs more than the database does.
    """
    from django.db import connection

    if among is not None and not among:
        return CsvIds("", 0)
    sql, params = review_ids_sql(user, codename, among=among)
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
        return CsvIds(",".join(map(str, ids)), len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT string_agg(g.id::text, ','), count(*) FROM ({sql}) g(id)", params)
        csv, count = cursor.fetchone()
    return CsvIds(csv, count)


def _model(name: str):
    """A model of this app, from the app registry: the models module imports
    these querysets, so they do not import it back."""
    from django.apps import apps

    return apps.get_model("reviews", name)


def review_ids_sql(user, codename: str, *, among: list[int] | None = None) -> tuple[str, list]:
    """The statement behind review_ids_granted (the plan-shape test explains it)."""
    ReviewUserObjectPermission, ReviewGroupObjectPermission = _model("ReviewUserObjectPermission"), _model("ReviewGroupObjectPermission")
    user_table = ReviewUserObjectPermission._meta.db_table
    group_table = ReviewGroupObjectPermission._meta.db_table
    membership_table = user.__class__.groups.through._meta.db_table
    permission = (
        "(SELECT p.id FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id "
        "WHERE ct.app_label = 'reviews' AND ct.model = 'review' AND p.codename = %s)"
    )
    now = timezone.now()
    extra, extra_params = "", []
    if among is not None:
        among = [int(pk) for pk in among]
        extra = f" AND {{alias}}.content_object_id IN ({', '.join(['%s'] * len(among))})"
        extra_params = among
    sql = (
        f"SELECT u.content_object_id FROM {user_table} u WHERE u.user_id = %s AND u.permission_id = {permission} "
        f"AND (u.expires_at IS NULL OR u.expires_at > %s){extra.format(alias='u')} "
        f"UNION SELECT g.content_object_id FROM {group_table} g JOIN {membership_table} m ON m.group_id = g.group_id "
        f"WHERE m.user_id = %s AND g.permission_id = {permission} "
        f"AND (g.expires_at IS NULL OR g.expires_at > %s){extra.format(alias='g')}"
    )
    params = [user.pk, codename, now, *extra_params, user.pk, codename, now, *extra_params]
    return sql, params


def uses_reach() -> bool:
    """Reach rows exist where their triggers do: on PostgreSQL (migration 0010)."""
    from django.db import connection

    return connection.vendor == "postgresql"


def reach_of(user, *, terms_accepted: bool = False):
    """The user's unexpired ``ReviewReach`` rows: what they may view, one row
    per review, however many paths (direct, groups) lead there.
    ``terms_accepted``: only the reviews whose current access terms they
    accepted (the row's copy of the terms gate: migration 0029)."""
    from django.db.models import Q

    from portal.scoping import scope_now

    rows = _model("ReviewReach").objects.filter(user_id=user.pk)
    if terms_accepted:
        rows = rows.filter(terms_accepted=True)
    return rows.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=scope_now()))


def terms_gated(user) -> bool:
    """Whether ``user``'s reads of a review's material pass the terms gate:
    agency users see it only once they accepted the review's current terms."""
    return bool(getattr(user, "is_agency_lead", False) or getattr(user, "is_agency_reviewer", False))


def terms_gate(qs, user, *, path: str = "review"):
    """``qs`` (rows of reviews' material) limited, for agency users, to reviews
    whose current access terms they accepted: the set-based side of the one
    terms gate (``Standing.require_material`` is the single-object side).

    Asked as ``review_id IN (the reviews whose current version the user
    accepted)``, a subquery that reads the review's version itself: the
    material's statement joins no review for it, and PostgreSQL plans it in
    half the time of an EXISTS correlated with the material's review id and
    that review's version (a search's documents: 4.4 -> 2.0 ms at bench
    scale, the same rows). A read through the reach rows asks their copy of
    it instead (``in_visible_reviews`` with ``material``)."""
    from django.db.models import F

    if not terms_gated(user):
        return qs
    accepted = _model("TermsAcceptance").objects.filter(user_id=user.pk, version=F("review__access_terms_version")).values("review_id")
    return qs.filter(**{f"{path}_id__in": accepted})


class CountStatement:
    """A count that one statement answers: calling it runs the statement;
    ``statement`` is the ``(sql, params)`` to explain (bench, plan tests)."""

    def __init__(self, sql: str, params: list):
        self.statement = (sql, params)

    def __call__(self) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(*self.statement)
            return int(cursor.fetchone()[0])


def reach_count(user) -> CountStatement:
    """How many reviews ``user`` reaches now (``reach_of(user).count()``): the
    kept changes of their rows without expiry (``ReachDelta``, summed) plus
    their unexpired expiring rows, off a partial index. Counting 20,000 reach
    entries cost 4 ms on every list of a reviewer on 20,000 reviews.
    PostgreSQL only (where reach rows exist)."""
    reach, deltas = _model("ReviewReach")._meta.db_table, _model("ReachDelta")._meta.db_table
    return CountStatement(
        f"SELECT coalesce((SELECT sum(delta) FROM {deltas} WHERE user_id = %s), 0)"
        f" + (SELECT count(*) FROM {reach} WHERE user_id = %s AND expires_at IS NOT NULL AND expires_at > %s)",
        [user.pk, user.pk, timezone.now()],
    )


def review_total() -> CountStatement:
    """How many reviews there are (``ReviewTotal``, kept by triggers; no row: none). PostgreSQL only."""
    return CountStatement(f"SELECT coalesce((SELECT reviews FROM {_model('ReviewTotal')._meta.db_table} WHERE id = 1), 0)", [])


def review_pk(review) -> int:
    """The id of ``review``: a Review, its id, or a Standing on it."""
    if hasattr(review, "review_id") and not hasattr(review, "_meta"):
        return int(review.review_id)
    return int(getattr(review, "pk", review))


def in_visible_reviews(qs, user, *, path: str = "review", review=None, among=None, material: bool = False):
    """``qs`` (rows that belong to a review through ``path``) limited to the
    reviews ``user`` sees: the one rule behind every dependent model's
    ``visible_to``.

    ``material``: the rows are the review's material (documents, questions,
    findings …), which agency users see only past the terms gate
    (``terms_gate``). Through the reach rows the gate is their
    ``terms_accepted`` copy, in the one semi-join the read has anyway — a
    second semi-join over the acceptances and the reviews doubled the
    planning of a search's statements (bench/RESULTS.md, 2026-12-05).

    ``review`` (a review, its id, or the user's ``Standing`` on it) narrows the
    answer to that review's rows and looks up the grants for that one review
    only: a page about one review costs the same for a user who sees 20
    reviews and one who sees 20,000. A Standing of this user that says they
    may view the review was read from the grants a moment ago (in the review
    page's own statement), so the grants are not read again.

    ``among`` (review ids) narrows the answer to those reviews' rows, with the
    ids in the statement and the reach (or grants) asked about those reviews
    only: a search confirming a few hundred matches starts from them, not
    from the user's scope (search.probe).
    """
    if not user_may_see_anything(user):
        return qs.none()
    gated = material and terms_gated(user)
    if among is not None:
        among = sorted({int(pk) for pk in among})
        if not among:
            return qs.none()
        if uses_reach() and not user.is_program_admin:
            # The reach rows of those reviews, part of the same statement, are
            # all the narrowing the rows need. The same ids also asked of the
            # rows' own column became a second key of the index scan reached
            # from each reach row, its array set up again on every loop
            # (EXPLAIN ANALYZE of confirming a search's 100 findings: 4.4 ms
            # against 1.9; timed from the application, ~0.1 ms less).
            reach = reach_of(user, terms_accepted=gated).filter(review_id__any_of=among)
            return qs.filter(**{f"{path}_id__in": reach.values("review_id")})
        qs = qs.filter(**{f"{path}_id__any_of": among})
        if user.is_program_admin:
            return qs
    elif review is not None:
        pk = review_pk(review)
        qs, among = qs.filter(**{f"{path}_id": pk}), [pk]
        if getattr(review, "user_id", None) == user.pk and getattr(review, "may_view", False) is True:
            # A Standing: the grants were read for this user and review.
            return terms_gate(qs, user, path=path) if gated else qs
    if user.is_program_admin:
        return qs
    if among is None and uses_reach():
        return qs.filter(**{f"{path}_id__in": reach_of(user, terms_accepted=gated).values("review_id")})
    qs = qs.filter(**{f"{path}_id__any_of": review_ids_granted(user, "view_review", among=among)})
    return terms_gate(qs, user, path=path) if gated else qs


def get_in_visible_review_or_404(queryset, *, user, pk, path: str = "review"):
    """One row of a model that belongs to a review, or 404 when it does not
    exist or its review is out of ``user``'s scope.

    The row's review is read first, so the grants are asked about that one
    review (``visible_to(user, review=...)``) instead of resolved in full:
    a detail page costs the same for someone who sees 20 reviews or 20,000.
    ``queryset`` carries the model's ``visible_to`` (and any select_related).
    """
    from django.http import Http404
    from django.shortcuts import get_object_or_404

    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    review_id = queryset.model._base_manager.filter(pk=pk).values_list(f"{path}_id", flat=True).first()
    if review_id is None:
        raise Http404
    return get_object_or_404(queryset.visible_to(user, review=review_id), pk=pk)


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user, *, among: list[int] | None = None):
        """Reviews ``user`` may see. Pass ``among`` (ids) when asking about a
        few reviews, e.g. one detail page: the grants are then looked up for
        those reviews only instead of resolving everything the user sees."""
        return self._granted(user, "view_review", among)

    def assignable_by(self, user, *, among: list[int] | None = None):
        """Reviews on which ``user`` may assign reviewers (admins: all)."""
        return self._granted(user, "assign_reviewer", among)

    def _granted(self, user, codename: str, among):
        if not user_may_see_anything(user):
            return self.none()
        qs = self if among is None else self.filter(pk__in=among)
        if user.is_program_admin:
            qs = qs.all()
            if among is None and uses_reach():
                qs.known_count = review_total()  # called only when a page needs it
            return qs
        if codename == "view_review" and among is None and uses_reach():
            # The reach rows answer without touching reviews: the count kept
            # by triggers (reach_count), pages by any order off a reach index
            # (selectors.review_list); filters semi-join.
            reach = reach_of(user)
            qs = qs.filter(pk__in=reach.values("review_id"))
            qs.known_count = reach_count(user)  # called only when a page needs it
            qs.reach = reach
            return qs
        ids = review_ids_granted(user, codename, among=among)
        qs = qs.filter(pk__any_of=ids)
        # Without further filters the count is known already; selectors pass
        # it to the paginator instead of counting the reviews again.
        qs.known_count = len(ids)
        return qs


class AssignmentQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None):
        """Admins see all; a lead sees their agency's assignments on reviews they
        can see; companies see none (they never learn who reviewed their
        model). ``review``: that review's only.

        A reviewer sees their own invitations they have not answered, and
        their accepted assignments only while their grant on the review holds:
        removed, declined or expired means gone (page and dashboard row)."""
        if not user_may_see_anything(user):
            return self.none()
        if user.is_agency_lead:
            return in_visible_reviews(self.filter(agency_id=user.agency_id), user, review=review)
        qs = self if review is None else self.filter(review_id=review_pk(review))
        if user.is_program_admin:
            return qs.all()
        if user.is_agency_reviewer:
            return qs.invitations_of(user) | qs.work_of(user, review=review)
        return self.none()

    def invitations_of(self, user):
        """``user``'s invitations not yet answered: the reviewer's other part
        of ``visible_to`` (no grant yet: the invitation is how they learn of
        the review)."""
        if not user_may_see_anything(user):
            return self.none()
        # AssignmentStatus values (the models module imports these querysets).
        return self.filter(reviewer_id=user.pk, status="invited")

    def work_of(self, user, *, review=None):
        """``user``'s accepted assignments while their grant on the review
        holds: the reviewer's part of ``visible_to`` without its OR, which
        keeps the grant check a semi-join PostgreSQL can walk in any index
        order (under the OR it hashes every reach row of the user first:
        20,000 at bench scale, 4 ms a statement)."""
        if not user_may_see_anything(user):
            return self.none()
        return in_visible_reviews(self.filter(reviewer_id=user.pk, status="accepted"), user, review=review)
