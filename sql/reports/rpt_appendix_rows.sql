-- One row per criterion of each appendix of the plan (Phụ lục 1-4), as the appendices list
-- them: numbered (stt) unit by unit, then by code; the values as they print; how many units
-- an appendix spans (more than one: its table names the unit of each row). A view: the
-- appendices are written on demand (chiso appendices), not by the nightly run.
-- Reads: criterion_gaps, plan_settings.
with criteria as (
    select g.*,
    from criterion_gaps as g
    where g.appendix is not null and g.plan_id = (select plan_id from plan_settings)
),

final as (
    select
        appendix,
        row_number() over (
            partition by appendix order by unit_code collate vi, code_order, criterion_code
        ) as stt,
        count(distinct unit_code) over (partition by appendix) as n_units,
        index_name,
        unit_code,
        criterion_code,
        criterion_name,
        level,
        max_value,
        vi_number(max_value, null) as max_text,
        baseline_value,
        case when index_name = 'SIPAS' then vi_number(baseline_value, 2)
            else vi_number(baseline_value, null) end as baseline_number_text,
        target_value,
        target_capped,
        target_vi,
        owner_unit,
        owner_name,
    from criteria
    order by appendix, stt
)

select * from final
