-- One row per unit that has not answered enough sociological survey forms in the target year
-- (participation_targets, lagging): what the summary, the digest and the report list, with the
-- rates as text. Reads: participation_targets, plan_settings.
with lagging as (
    select * exclude (plan_id) from participation_targets
    where plan_id = (select plan_id from plan_settings)
        and status = 'lagging' and year = (select target_year from plan_settings)
),

final as (
    select
        *,
        coalesce(unit_name, unit_code) as unit_label,
        vi_number(response_rate_pct, 2) || '%' as response_rate_text,
        vi_number(target_pct, 2) || '%' as target_text,
    from lagging
    order by list_position(['PAR', 'SIPAS', 'PAPI'], index_name), unit_code
)

select * from final
