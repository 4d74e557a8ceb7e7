-- One row per criterion an owner unit is to be told about, against what it was last told
-- (the alert state's `notified` rows, handed over as the temp table `told`): a criterion that
-- needs attention (missed, at risk, or scored without evidence) is new, changed or unchanged;
-- one the owner was told needed attention and that no longer does has recovered. In the
-- order the owner's email lists them. Run on the published file by flows/notify/alerts.py.
-- Reads: rpt_criteria, told.
with criteria as (
    select
        *,
        index_name || '|' || coalesce(appendix::varchar, '') || '|' || unit_code || '|'
            || criterion_code as item_key,
        status in ('missed', 'at_risk') or evidence_missing as needs_attention,
    from rpt_criteria
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
        *,
        vi_value(index_name, try_cast(told_value as decimal(20, 8))) as told_text,
    from paired
    where change is not null
    order by owner_unit,
        list_position(['new', 'changed', 'recovered', 'unchanged'], change),
        index_order, code_order, criterion_code, appendix
)

select * from final
