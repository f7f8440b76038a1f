"""防返贫动态监测: the yearly income line, risk leads, cases, their step records and measures;
a household's count of working-age members (recorded at the home check).

Only new tables and one nullable column: the release-1 rows are untouched.

Revision ID: 0006_monitoring
Revises: 0005_village_coords
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_monitoring"
down_revision = "0005_village_coords"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('monitor_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('subject_name', sa.String(length=32), nullable=False),
    sa.Column('subject_id_number', sa.String(length=18), nullable=True),
    sa.Column('subject_phone', sa.String(length=20), nullable=True),
    sa.Column('step', sa.Enum('reported', 'verifying', 'public_notice', 'township_review', 'district_review', 'monitored', 'dismissed', 'cleared', name='monitorstep', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('step_began_at', sa.DateTime(), nullable=False),
    sa.Column('step_due_on', sa.Date(), nullable=True),
    sa.Column('holder_cadre_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.Enum('unstable', 'marginal', 'sudden', name='case_category', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('risk_types', sa.JSON(), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('included_on', sa.Date(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('dismiss_reason', sa.Text(), nullable=True),
    sa.Column('cleared_on', sa.Date(), nullable=True),
    sa.Column('cleared_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("step <> 'dismissed' OR dismiss_reason IS NOT NULL", name=op.f('ck_monitor_case_dismissed_reason')),
    sa.CheckConstraint("step <> 'reported'", name=op.f('ck_monitor_case_case_step')),
    sa.CheckConstraint("step NOT IN ('monitored', 'cleared') OR (category IS NOT NULL AND household_id IS NOT NULL AND included_on IS NOT NULL)", name=op.f('ck_monitor_case_monitored_complete')),
    sa.ForeignKeyConstraint(['cleared_by_id'], ['user_account.id'], name=op.f('fk_monitor_case_cleared_by_id_user_account')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_monitor_case_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['holder_cadre_id'], ['cadre.id'], name=op.f('fk_monitor_case_holder_cadre_id_cadre')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_monitor_case_household_id_household')),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_monitor_case_township_id_township')),
    sa.ForeignKeyConstraint(['village_id'], ['village.id'], name=op.f('fk_monitor_case_village_id_village')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_case'))
    )
    with op.batch_alter_table('monitor_case', schema=None) as batch_op:
        batch_op.create_index('ix_monitor_case_holder_step', ['holder_cadre_id', 'step'], unique=False)
        batch_op.create_index('ix_monitor_case_household', ['household_id'], unique=False)
        batch_op.create_index('ix_monitor_case_township_step', ['township_id', 'step', 'step_due_on'], unique=False)
        batch_op.create_index('ix_monitor_case_village_step', ['village_id', 'step'], unique=False)
        batch_op.create_index('uq_monitor_case_open_household', ['household_id'], unique=True, sqlite_where=sa.text("step NOT IN ('dismissed', 'cleared')"), postgresql_where=sa.text("step NOT IN ('dismissed', 'cleared')"))

    op.create_table('monitor_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('yuan', sa.Integer(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('yuan > 0', name=op.f('ck_monitor_line_yuan_positive')),
    sa.ForeignKeyConstraint(['set_by_id'], ['user_account.id'], name=op.f('fk_monitor_line_set_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_line')),
    sa.UniqueConstraint('year', name=op.f('uq_monitor_line_year'))
    )
    op.create_table('monitor_measure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('industry', 'employment', 'health', 'education', 'housing', 'water', 'social_security', 'finance', 'other', name='measurekind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('done_on IS NULL OR done_on >= started_on', name=op.f('ck_monitor_measure_done_after_start')),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], name=op.f('fk_monitor_measure_cadre_id_cadre')),
    sa.ForeignKeyConstraint(['case_id'], ['monitor_case.id'], name=op.f('fk_monitor_measure_case_id_monitor_case')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_monitor_measure_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_monitor_measure_township_id_township')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_measure'))
    )
    with op.batch_alter_table('monitor_measure', schema=None) as batch_op:
        batch_op.create_index('ix_monitor_measure_cadre', ['cadre_id', 'done_on'], unique=False)
        batch_op.create_index('ix_monitor_measure_case', ['case_id'], unique=False)

    op.create_table('monitor_step_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Enum('reported', 'verifying', 'public_notice', 'township_review', 'district_review', 'monitored', 'dismissed', 'cleared', name='record_step', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('began_at', sa.DateTime(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['monitor_case.id'], name=op.f('fk_monitor_step_record_case_id_monitor_case')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_monitor_step_record_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_step_record'))
    )
    with op.batch_alter_table('monitor_step_record', schema=None) as batch_op:
        batch_op.create_index('ix_monitor_step_record_case', ['case_id', 'id'], unique=False)
        batch_op.create_index('ix_monitor_step_record_done', ['done_at'], unique=False)

    op.create_table('risk_lead',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('self_report', 'visit', 'department', 'income_below_line', 'income_drop', 'guarantee_failed', name='leadsource', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('cause', sa.String(length=24), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=True),
    sa.Column('reported_name', sa.String(length=32), nullable=True),
    sa.Column('reported_contact', sa.String(length=20), nullable=True),
    sa.Column('assignee_cadre_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'taken', 'dismissed', name='leadstatus', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('dismiss_reason', sa.Text(), nullable=True),
    sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
    sa.Column('dismissed_on', sa.Date(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status <> 'dismissed' OR dismiss_reason IS NOT NULL", name=op.f('ck_risk_lead_dismissed_reason')),
    sa.CheckConstraint("status <> 'taken' OR case_id IS NOT NULL", name=op.f('ck_risk_lead_taken_case')),
    sa.ForeignKeyConstraint(['assignee_cadre_id'], ['cadre.id'], name=op.f('fk_risk_lead_assignee_cadre_id_cadre')),
    sa.ForeignKeyConstraint(['case_id'], ['monitor_case.id'], name=op.f('fk_risk_lead_case_id_monitor_case')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_risk_lead_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['dismissed_by_id'], ['user_account.id'], name=op.f('fk_risk_lead_dismissed_by_id_user_account')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_risk_lead_household_id_household')),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_risk_lead_township_id_township')),
    sa.ForeignKeyConstraint(['village_id'], ['village.id'], name=op.f('fk_risk_lead_village_id_village')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_risk_lead_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_lead')),
    sa.UniqueConstraint('reference', name=op.f('uq_risk_lead_reference'))
    )
    with op.batch_alter_table('risk_lead', schema=None) as batch_op:
        batch_op.create_index('ix_risk_lead_assignee_status', ['assignee_cadre_id', 'status', 'due_on'], unique=False)
        batch_op.create_index('ix_risk_lead_case', ['case_id'], unique=False)
        batch_op.create_index('ix_risk_lead_household', ['household_id'], unique=False)
        batch_op.create_index('ix_risk_lead_township_year', ['township_id', 'year', 'source'], unique=False)
        batch_op.create_index('uq_risk_lead_household_cause_year', ['household_id', 'source', 'cause', 'year'], unique=True, sqlite_where=sa.text("source <> 'self_report'"), postgresql_where=sa.text("source <> 'self_report'"))

    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(sa.Column('working_age_members', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_column('working_age_members')

    with op.batch_alter_table('risk_lead', schema=None) as batch_op:
        batch_op.drop_index('uq_risk_lead_household_cause_year', sqlite_where=sa.text("source <> 'self_report'"), postgresql_where=sa.text("source <> 'self_report'"))
        batch_op.drop_index('ix_risk_lead_township_year')
        batch_op.drop_index('ix_risk_lead_household')
        batch_op.drop_index('ix_risk_lead_case')
        batch_op.drop_index('ix_risk_lead_assignee_status')

    op.drop_table('risk_lead')
    with op.batch_alter_table('monitor_step_record', schema=None) as batch_op:
        batch_op.drop_index('ix_monitor_step_record_done')
        batch_op.drop_index('ix_monitor_step_record_case')

    op.drop_table('monitor_step_record')
    with op.batch_alter_table('monitor_measure', schema=None) as batch_op:
        batch_op.drop_index('ix_monitor_measure_case')
        batch_op.drop_index('ix_monitor_measure_cadre')

    op.drop_table('monitor_measure')
    op.drop_table('monitor_line')
    with op.batch_alter_table('monitor_case', schema=None) as batch_op:
        batch_op.drop_index('uq_monitor_case_open_household', sqlite_where=sa.text("step NOT IN ('dismissed', 'cleared')"), postgresql_where=sa.text("step NOT IN ('dismissed', 'cleared')"))
        batch_op.drop_index('ix_monitor_case_village_step')
        batch_op.drop_index('ix_monitor_case_township_step')
        batch_op.drop_index('ix_monitor_case_household')
        batch_op.drop_index('ix_monitor_case_holder_step')

    op.drop_table('monitor_case')
