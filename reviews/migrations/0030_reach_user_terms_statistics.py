"""PostgreSQL statistics on the reach rows' (user, terms_accepted) pairs.

A material read of an agency user asks the reach for ``user_id = …`` and
``terms_accepted`` (0029). PostgreSQL multiplied the two clauses' separate
selectivities: 2 % of the reach rows are accepted, so it expected 2 % of a
user's rows — one row of a reviewer's 101 search candidates, who had accepted
the terms of all 20,000 of their reviews — and walked the reach first, every
document of each review, then their versions (2.7 ms at bench scale), where
starting from the 101 candidates by id took 0.46 ms. A most-common-values
list over the pair gives the users with the most reach rows their own
figures. The planner only: no row changes. ANALYZE builds it now rather
than at autovacuum's next visit (about 1 s for ~950,000 reach rows)."""

from django.db import migrations

from portal.migration_operations import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("reviews", "0029_reach_terms_accepted")]

    operations = [
        RunSQLOnPostgres(
            sql=[
                "CREATE STATISTICS reviews_reach_user_terms (mcv) ON user_id, terms_accepted FROM reviews_reviewreach",
                "ANALYZE reviews_reviewreach",
            ],
            reverse_sql=["DROP STATISTICS IF EXISTS reviews_reach_user_terms"],
        ),
    ]
