"""pg_trgm, btree_gist and a trigram index for "earlier pledges that read alike" (tracker/continuity.py).

One GiST index on the maker and the text: the query finds the maker's
pledges in it and reads them nearest first (`<->`, pg_trgm's distance), so it
stops after the few it returns, however many pledges the maker has. A GIN
trigram index on the text alone was not chosen by the planner (the maker's
rows read through its own index, each compared, were cheaper), and could not
order by distance. btree_gist lets GiST take the maker's id.

PostgreSQL only: on SQLite the suggestion compares the maker's latest pledges
in Python, and this migration does nothing.
"""

from django.db import migrations

INDEX = "commitment_maker_text_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    # The expression is the one continuity.similar_earlier_pledges queries with.
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON tracker_commitment "
        "USING gist (made_by_id, (title || ' ' || quote) gist_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("tracker", "0012_renews")]

    operations = [migrations.RunPython(create, drop)]
