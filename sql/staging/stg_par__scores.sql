-- One row per PAR INDEX extract row: typed, code normalised, level and parent derived from the code.
-- Reads: raw_par_scores (text cells as loaded by flows/intake/readers.py, with provenance); the
-- unit register (ref_units, ref_unit_changes, stg_ref__provinces, plan_provinces,
-- plan_unit_provinces) for which unit a code means (_units.sql.j2).
-- What comes from the code alone is derived once per distinct code (a few hundred for a
-- million rows), and "Không áp dụng" is looked for only in a score that is not a number.
{% from '_units.sql.j2' import join_units, resolved_unit -%}
with source as not materialized (
    select * from raw_par_scores
),

normalised as (
    select criterion_code as code_raw, norm_par_code(criterion_code) as criterion_code,
    from (select distinct criterion_code from source)
),

codes as (
    select
        *,
        len(string_split(criterion_code, '.')) as depth,
        case len(string_split(criterion_code, '.'))
            when 1 then 'area' when 2 then 'TC' else 'TCTP'
        end as level,
        case
            when criterion_code like '%.%' then regexp_replace(criterion_code, '\.[^.]+$', '')
        end as parent_code,
    from normalised
),

parsed as (
    select
        *,
        parse_decimal(self_score) as self_number,
        parse_decimal(appraised_score) as appraised_number,
    from source
),

final as (
    select
        {{ resolved_unit('p') }} as unit_code,
        parse_integer(p.year) as year,
        c.criterion_code,
        trim(p.criterion_code) as criterion_code_raw,
        trim(p.criterion_name) as criterion_name,
        parse_decimal(p.max_points) as max_points,
        -- ("Không áp dụng" is not a number either)
        p.self_number as self_score,
        p.appraised_number as appraised_score,
        case when p.self_number is null and p.self_score is not null
            then is_not_applicable(p.self_score) else false end
        or case when p.appraised_number is null and p.appraised_score is not null
            then is_not_applicable(p.appraised_score) else false end as not_applicable,
        nullif(trim(p.evidence), '') as evidence,
        p.source_file,
        p.source_sheet,
        p.source_sha256,
        p.source_row,
        c.depth,
        c.level,
        c.parent_code,
    from parsed as p
    left join codes as c on c.code_raw is not distinct from p.criterion_code
    {{ join_units('raw_par_scores', 'p', 'stg_ref__provinces') }}
)

select * from final
