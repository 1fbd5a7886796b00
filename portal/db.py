"""Database helpers shared by every app's selectors."""

from django.db.models import Field, ForeignObject, Lookup


@Field.register_lookup
class AnyOf(Lookup):
    """``field__any_of=[...]``: ``field = ANY(%s)`` with one array parameter.

    A visibility filter can carry thousands of ids; as one array parameter
    the statement stays short and PostgreSQL plans it like ``IN`` (an index
    or bitmap scan on the ids). Other databases get a plain ``IN``.
    """

    lookup_name = "any_of"

    def get_prep_lookup(self):
        field = self.lhs.output_field
        target = getattr(field, "target_field", field)
        return [target.get_prep_value(getattr(v, "pk", v)) for v in self.rhs]

    def process_rhs(self, compiler, connection):
        return "%s", [list(self.rhs)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", list(lhs_params)
        if connection.vendor == "postgresql":
            # One text parameter split on the server: with client-side binding
            # this is about twice as fast as an array literal of 20,000 ids
            # (measured in bench/), and the explicit element type keeps the plan
            # stable.
            field = self.lhs.output_field
            db_type = (field.db_type(connection) or "bigint").split("(")[0]
            db_type = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}.get(db_type, db_type)
            text = ",".join(str(int(v)) for v in values)
            return f"{lhs} = ANY(string_to_array(%s, ',')::{db_type}[])", [*lhs_params, text]
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *values]


# Related fields keep their own lookup registry.
ForeignObject.register_lookup(AnyOf)
