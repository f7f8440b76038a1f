"""Make the audit trail append-only with triggers.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

from relief.models.audit import APPEND_ONLY_SQL, DROP_APPEND_ONLY_SQL

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    for statement in APPEND_ONLY_SQL.get(bind.dialect.name, []):
        op.execute(statement)


def downgrade():
    bind = op.get_bind()
    for statement in DROP_APPEND_ONLY_SQL.get(bind.dialect.name, []):
        op.execute(statement)
