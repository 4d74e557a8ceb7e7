-- One row per year x assessed unit x SIPAS criterion: satisfaction rate (% of valid answers that
-- are 4 or 5) computed from counts, or as published; n beside it and a small-sample flag.
-- Reads: stg_sipas__answers, stg_sipas__rates, stg_sipas__criteria, plan_settings,
-- plan_interim_extracts. A published rate wins over one computed from raw answers for the same
-- key. A rate resting on any extract the plan names as interim (interim_extracts: file-name
-- patterns) is interim, a provisional value; otherwise final.
with answers as (
    select * from stg_sipas__answers where is_valid
),

published as (
    select * from stg_sipas__rates
),

criteria as (
    select * from stg_sipas__criteria
),

settings as (
    select * from plan_settings
),

interim_files as (
    select source_file
    from (
        select distinct source_file from stg_sipas__answers
        union
        select distinct source_file from stg_sipas__rates
    ) as f
    where exists (
        select 1 from plan_interim_extracts as p where lower(f.source_file) glob lower(p.pattern)
    )
),

from_answers as (
    select
        year,
        unit_code,
        question_code as criterion_code,
        count(*) as n,
        count(*) filter (where answer >= 4) as n_satisfied,
        exact_div(count(*) filter (where answer >= 4) * 100, count(*)) as rate_pct,
        'answers' as rate_source,
        bool_or(source_file in (select source_file from interim_files)) as interim,
    from answers
    group by all
),

from_published as (
    select
        year,
        unit_code,
        criterion_code,
        n,
        null::bigint as n_satisfied,
        rate_pct,
        'published' as rate_source,
        source_file in (select source_file from interim_files) as interim,
    from published
),

combined as (
    select * from from_published
    union all
    select a.* from from_answers as a
    anti join from_published as p using (year, unit_code, criterion_code)
),

final as (
    select
        c.year,
        c.unit_code,
        c.criterion_code,
        coalesce(k.criterion_name, c.criterion_code) as criterion_name,
        k.element,
        k.component,
        c.n,
        c.n_satisfied,
        c.rate_pct,
        c.n < coalesce((select sipas_small_sample_n from settings), 30) as small_sample,
        c.rate_source,
        case when c.interim then 'interim' else 'final' end as stage,
    from combined as c
    left join criteria as k on k.question_code = c.criterion_code
)

select * from final
