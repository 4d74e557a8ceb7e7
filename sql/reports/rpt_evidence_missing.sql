-- The PAR criteria scored above zero in the target year with no evidence (tài liệu kiểm
-- chứng), whatever their status: appraisal may cut those points. The report lists them for the
-- Office to chase, by owner unit then code: at most the plan's documents.report_rows (how many
-- there are in all is in rpt_standing). Reads: criterion_gaps, plan_settings.
{% from '_criteria.sql.j2' import display_columns, listed_at_most -%}
with criteria as (
    select g.*,
    from criterion_gaps as g
    where g.evidence_missing and g.plan_id = (select plan_id from plan_settings)
),

listed as (
    select *,
        row_number() over (
            order by owner_name collate vi, unit_code, code_order, criterion_code, appendix
        ) as evidence_rank,
    from (
        select * from criteria
        order by owner_name collate vi, unit_code, code_order, criterion_code, appendix
        limit {{ listed_at_most() }}
    )
),

final as (
    select l.* exclude (evidence_rank), {{ display_columns('l') }}, l.evidence_rank,
    from listed as l
    where l.evidence_rank <= (select report_rows from plan_settings)
    order by l.evidence_rank
)

select * from final
