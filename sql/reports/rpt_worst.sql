-- The missed and at-risk criteria furthest from target, in the one "worst first" order every
-- list uses (the summary, the digest, the report): the gap as a share of the criterion's
-- maximum, then the gap, then index, unit and code. As many rows as the longest list shows
-- (the plan's documents.report_rows); how many there are in all is in rpt_standing.
-- Reads: criterion_gaps, plan_settings, criterion_guidance.
{% from '_criteria.sql.j2' import worst_first, display_columns, listed_at_most -%}
with criteria as (
    select g.*,
    from criterion_gaps as g
    where g.status in ('missed', 'at_risk') and g.plan_id = (select plan_id from plan_settings)
),

worst as (
    -- a top-N, not a window over every missed criterion
    select *, from criteria
    order by {{ worst_first() }}
    limit {{ listed_at_most() }}
),

ranked as (
    select *, row_number() over (order by {{ worst_first() }}) as worst_rank,
    from worst
),

final as (
    select r.* exclude (worst_rank), {{ display_columns('r') }}, r.worst_rank,
        g.guidance_vi, g.note_vi as guidance_note_vi,
    from ranked as r
    left join criterion_guidance as g
        on g.plan_id = r.plan_id and g.index_name = r.index_name and g.appendix is not distinct from r.appendix
        and g.unit_code = r.unit_code and g.criterion_code = r.criterion_code
    where r.worst_rank <= (select report_rows from plan_settings)
    order by r.worst_rank
)

select * from final
