-- One row per criterion with guidance: what it would take to reach its target, in Vietnamese,
-- from the index's guidance mart, with the SIPAS change note. What owner emails, the digest and
-- the report print beside a criterion.
-- Reads: guidance_sipas, guidance_par, guidance_papi.
with sipas as (
    select plan_id, 'SIPAS' as index_name, appendix, unit_code, criterion_code, guidance_vi,
        change_vi as note_vi,
    from guidance_sipas
),

par as (
    select plan_id, 'PAR' as index_name, appendix, unit_code, criterion_code, guidance_vi,
        null::varchar as note_vi,
    from guidance_par
    where guidance_vi is not null
),

papi as (
    select plan_id, 'PAPI' as index_name, appendix, unit_code, criterion_code, guidance_vi,
        null::varchar as note_vi,
    from guidance_papi
)

select * from sipas
union all
select * from par
union all
select * from papi
