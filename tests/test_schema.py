"""The schema is only ever created by the migrations; the models must agree with them."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from hazard_ledger.models import metadata


def test_models_and_migrations_agree(database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_list_filters_and_the_overdue_sweep_have_indexes(database):
    indexes = {tuple(ix["column_names"]) for ix in inspect(database.engine).get_indexes("hazards")}
    for needed in [("state", "deadline"), ("enterprise_id", "state", "id"), ("enterprise_id", "id"),
                   ("reporter_user_id",), ("responsible_user_id",), ("reported_at",), ("grade", "state")]:
        assert needed in indexes
