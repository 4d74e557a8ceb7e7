-- One row per recorded period (gap_history) of the criteria the report lists (rpt_worst): the
-- points of each criterion's trend line. The report reads no more history than it shows.
-- Reads: gap_history, rpt_worst, plan_settings.
with history as (
    select * from gap_history
    where plan_id = (select plan_id from plan_settings)
),

shown as (
    select index_name, appendix, unit_code, criterion_code from rpt_worst
),

final as (
    select h.index_name, h.appendix, h.unit_code, h.criterion_code, h.valid_from, h.valid_to,
        h.current_value, vi_value(h.index_name, h.current_value) as current_text,
        h.current_stage, h.status,
    from history as h
    semi join shown as s
        on h.index_name = s.index_name and h.appendix is not distinct from s.appendix
        and h.unit_code = s.unit_code and h.criterion_code = s.criterion_code
    order by h.index_name, h.unit_code, h.criterion_code, h.appendix, h.valid_from
)

select * from final
