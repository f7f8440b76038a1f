"""Villages say which coordinate system their position was typed in (stored as WGS-84).

Every village of an earlier release was entered without a system and is taken as WGS-84, as
relief has always assumed.

Revision ID: 0005_village_coords
Revises: 0004_rate_limit
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_village_coords"
down_revision = "0004_rate_limit"
branch_labels = None
depends_on = None


CHECK = "coord_system IN ('wgs84', 'gcj02', 'bd09')"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN keeps the table (a batch copy would drop it, which its foreign keys forbid);
        # SQLite accepts a CHECK there, and existing rows take the default
        op.execute("ALTER TABLE village ADD COLUMN coord_system VARCHAR(24) DEFAULT 'wgs84' NOT NULL "
                   f"CONSTRAINT ck_village_coordsystem CHECK ({CHECK})")
    else:
        op.add_column("village", sa.Column("coord_system", sa.String(24), server_default="wgs84", nullable=False))
        op.create_check_constraint("ck_village_coordsystem", "village", CHECK)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE village DROP COLUMN coord_system")
    else:
        op.drop_constraint("ck_village_coordsystem", "village", type_="check")
        op.drop_column("village", "coord_system")
