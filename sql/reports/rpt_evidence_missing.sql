-- The PAR criteria scored above zero in the target year with no evidence (tài liệu kiểm
-- chứng), whatever their status: appraisal may cut those points. The report lists them for the
-- Office to chase, by owner unit then code: at most the plan's documents.report_rows (how many
-- there are in all is in rpt_standing). Reads: rpt_criteria, plan_settings.
with criteria as (
    select * from rpt_criteria where evidence_missing
),

ranked as (
    select
        *,
        row_number() over (
            order by owner_name collate vi, unit_code, code_order, criterion_code, appendix
        ) as evidence_rank,
    from criteria
),

final as (
    select * from ranked
    where evidence_rank <= (select report_rows from plan_settings)
    order by evidence_rank
)

select * from final
