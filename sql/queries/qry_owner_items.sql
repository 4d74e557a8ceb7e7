-- One row per criterion an owner unit is to be told about, against what it was last told
-- (the alert state's `notified` rows, handed over as the temp table `told`): a criterion that
-- needs attention (missed, at risk, or scored without evidence) is new, changed or unchanged;
-- one the owner was told needed attention and that no longer does has recovered. In the
-- order the owner's email lists them. Run on the published file by flows/notify/alerts.py.
-- Reads: criterion_gaps, told, criterion_guidance, plan_settings (the running plan's rows).
{% from '_criteria.sql.j2' import display_columns -%}
with criteria as (
    select
        g.*,
        g.index_name || '|' || coalesce(g.appendix::varchar, '') || '|' || g.unit_code || '|'
            || g.criterion_code as item_key,
        g.status in ('missed', 'at_risk') or g.evidence_missing as needs_attention,
    from criterion_gaps as g
    where g.plan_id = (select plan_id from plan_settings)
),

told as (
    select
        *,
        status in ('missed', 'at_risk') or evidence_missing as needed_attention,
    from told
),

paired as (
    select
        c.*,
        t.status as told_status,
        t.current_value as told_value,
        t.needed_attention,
        case
            when c.needs_attention and coalesce(not t.needed_attention, true) then 'new'
            when c.needs_attention and (
                c.status is distinct from t.status
                or c.current_value is distinct from try_cast(t.current_value as decimal(20, 8))
                or c.target_value is distinct from try_cast(t.target_value as decimal(20, 8))
                or c.current_stage is distinct from t.current_stage
                or c.evidence_missing is distinct from t.evidence_missing
            ) then 'changed'
            when c.needs_attention then 'unchanged'
            when t.needed_attention then 'recovered'
        end as change,
    from criteria as c
    left join told as t on t.owner_unit = c.owner_unit and t.item_key = c.item_key
),

final as (
    select
        -- rpt_criteria's columns, then this query's
        p.* exclude (item_key, needs_attention, told_status, told_value, needed_attention, change),
        {{ display_columns('p') }},
        p.item_key, p.needs_attention, p.told_status, p.told_value, p.needed_attention, p.change,
        vi_value(p.index_name, try_cast(p.told_value as decimal(20, 8))) as told_text,
        case when p.status in ('missed', 'at_risk') then g.guidance_vi end as guidance_vi,
        case when p.status in ('missed', 'at_risk') then g.note_vi end as guidance_note_vi,
    from paired as p
    left join criterion_guidance as g
        on g.plan_id = p.plan_id and g.index_name = p.index_name and g.appendix is not distinct from p.appendix
        and g.unit_code = p.unit_code and g.criterion_code = p.criterion_code
    where p.change is not null
    order by owner_unit,
        list_position(['new', 'changed', 'recovered', 'unchanged'], change),
        index_order, code_order, criterion_code, appendix
)

select * from final
