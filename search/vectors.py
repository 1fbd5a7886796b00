"""The ``search_vector`` columns the search migration adds (PostgreSQL only)."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db.models import Expression


class Vector(Expression):
    """The query's own table's ``search_vector`` column (the models do not
    declare it: see search/migrations/0001). Compiled against whatever alias
    the table has in the statement, so it works inside subqueries too."""

    output_field = SearchVectorField()
    column = "search_vector"

    def as_sql(self, compiler, connection):
        alias = compiler.query.base_table
        return f"{compiler.quote_name_unless_alias(alias)}.{self.column}", []


class Pairs(Vector):
    """The table's ``search_pairs`` column: adjacent-word pairs of the same
    text (search/migrations/0002), where a quoted phrase is looked up first."""

    column = "search_pairs"
