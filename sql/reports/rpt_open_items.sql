-- One row per index the plan's key dates concern (NULL: a date for every index): what is still
-- open for it, listed once however many key dates it has (the summary, the digest and the
-- report show each date with its days left, then this). Reads: deadline_watch.
with deadlines as (
    select * from deadline_watch
),

final as (
    select
        index_name,
        min(ends) as first_ends,
        any_value(n_missed) as n_missed,
        any_value(n_at_risk) as n_at_risk,
        any_value(at_risk_codes) as at_risk_codes,
        any_value(n_evidence_missing) as n_evidence_missing,
        any_value(evidence_missing_codes) as evidence_missing_codes,
        any_value(n_units_lagging) as n_units_lagging,
        any_value(lagging_units) as lagging_units,
    from deadlines
    group by index_name
    order by list_position(['PAR', 'SIPAS', 'PAPI'], index_name) nulls first
)

select * from final
