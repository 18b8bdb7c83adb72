"""`name__under="support"`: names inside a folder path, matched with exact case on every database.

Django's `startswith` is a LIKE, and SQLite's LIKE ignores ASCII case: `name__startswith="ops/"`
also matched "Ops/runbook", so renaming or deleting `ops` reached into `Ops`. Folder paths and
prompt names are case-sensitive (as in Langfuse, whose clients fetch by exact name), so every
prefix match of a path goes through this lookup instead.
"""

from django.db.models import CharField, Lookup


@CharField.register_lookup
class Under(Lookup):
    """True for values strictly below the folder path on the right-hand side ("a" -> "a/...")."""

    lookup_name = "under"

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [value.rstrip("/") + "/"])

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        # SUBSTR/LENGTH compare characters exactly; CAST keeps PostgreSQL's LENGTH unambiguous.
        sql = f"SUBSTR({lhs}, 1, LENGTH(CAST({rhs} AS TEXT))) = CAST({rhs} AS TEXT)"
        return sql, [*lhs_params, *rhs_params, *rhs_params]
