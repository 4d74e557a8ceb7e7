-- One row per owner unit of the plan, and one for all of them (is_total): its criteria in each
-- status (not applicable included: the columns add up to the total), in Vietnamese dictionary
-- order of the owners' names (Đ after D: collate vi). The digest's and the report's table per owner.
-- Reads: rpt_status_counts, plan_owner_units.
with counts as (
    select * from rpt_status_counts where grouped_by in ('owner', 'total')
),

owners as (
    select * from plan_owner_units
),

counted as (
    select
        grouped_by = 'total' as is_total,
        owner_unit, total, met, missed, at_risk, no_data, not_applicable, retired, evidence_missing,
    from counts
),

final as (
    select
        coalesce(c.is_total, false) as is_total,
        coalesce(c.owner_unit, o.owner_unit) as owner_unit,
        o.name as owner_name,
        o.email as owner_email,
        coalesce(c.total, 0) as total,
        coalesce(c.met, 0) as met,
        coalesce(c.missed, 0) as missed,
        coalesce(c.at_risk, 0) as at_risk,
        coalesce(c.no_data, 0) as no_data,
        coalesce(c.not_applicable, 0) as not_applicable,
        coalesce(c.retired, 0) as retired,
        coalesce(c.evidence_missing, 0) as evidence_missing,
        coalesce(c.missed, 0) + coalesce(c.at_risk, 0) as off_track,
    from counted as c
    full join owners as o on not c.is_total and o.owner_unit = c.owner_unit
    order by coalesce(c.is_total, false), o.name collate vi nulls last, owner_unit
)

select * from final
