-- One row per year x index x unit asked to answer the sociological survey forms (phiếu điều tra
-- xã hội học): forms assigned and answered, the response rate, and whether it reaches the
-- plan's target (participation.target_pct, default 100%). The Office chases the units that lag.
-- Reads: stg_survey__participation, plan_settings, plan_owner_units.
with participation as (
    select * from stg_survey__participation
),

settings as (
    select * from plan_settings
),

owner_units as (
    select * from plan_owner_units
),

final as (
    select
        p.year,
        p.index_name,
        p.unit_code,
        u.name as unit_name,
        p.forms_assigned,
        p.forms_answered,
        p.forms_assigned - p.forms_answered as forms_missing,
        exact_div(p.forms_answered * 100, p.forms_assigned) as response_rate_pct,
        s.participation_target_pct as target_pct,
        case
            when exact_div(p.forms_answered * 100, p.forms_assigned) >= s.participation_target_pct
                then 'met'
            else 'lagging'
        end as status,
    from participation as p
    cross join settings as s
    left join owner_units as u on u.owner_unit = p.unit_code
    order by p.year desc, list_position(['PAR', 'SIPAS', 'PAPI'], p.index_name),
        status = 'met', p.unit_code
)

select (select plan_id from plan_settings) as plan_id, * from final
