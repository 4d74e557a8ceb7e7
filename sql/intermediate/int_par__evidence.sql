-- One row per assessed unit x PAR INDEX TC/TCTP of the target year (the self-assessment being
-- prepared): is its self-assessed score backed by evidence (tài liệu kiểm chứng)? Appraisal
-- cuts points that have none.
-- Evidence comes from the PAR extract's own evidence column and from the evidence register.
-- A cell or entry naming a document (a number/symbol such as 92/BC-STTTT, a link, a file
-- name) is a document; other text is an explanation only. A criterion with sub-criteria is
-- backed when it has a document of its own, or else as its scored sub-criteria (one level
-- down: PAR trees stop at TCTP) are: one missing makes it missing.
-- evidence_missing: a self-assessed score above zero, no evidence.
-- Reads: int_par__tree, stg_evidence__register, plan_settings.
with tree as (
    select * from int_par__tree
    where level in ('TC', 'TCTP') and year = (select target_year from plan_settings)
),

cells as (
    select
        unit_code, year, criterion_code,
        case
            when regexp_matches(evidence,
                '[0-9]+/[[:alnum:]Đđ._-]+|https?://|\.(pdf|docx?|xlsx?|odt|ods|jpe?g|png|zip|rar)\b',
                'i') then 'document'
            else 'explanation'
        end as kind,
    from tree
    where evidence is not null
),

registered as (
    select
        unit_code, year, criterion_code,
        case when names_a_document then 'document' else 'explanation' end as kind,
    from stg_evidence__register
    where year = (select target_year from plan_settings)
),

given as (
    select * from cells
    union all
    select * from registered
),

own as (
    select
        unit_code, year, criterion_code,
        count(*) filter (where kind = 'document') as n_documents,
        count(*) filter (where kind = 'explanation') as n_explanations,
    from given
    group by all
),

rows_with_own as (
    select
        t.unit_code, t.year, t.criterion_code, t.parent_code, t.level, t.self_score,
        coalesce(o.n_documents, 0) as n_documents,
        case
            when o.n_documents > 0 then 'present'
            when o.n_explanations > 0 then 'explanation_only'
            else 'missing'
        end as own_status,
    from tree as t
    left join own as o using (unit_code, year, criterion_code)
),

-- the sub-criteria of each criterion that has some
leaves_below as (
    select
        unit_code, year, parent_code as criterion_code,
        count(*) filter (where own_status = 'missing' and self_score > 0) as n_missing,
        count(*) filter (where own_status = 'explanation_only' and self_score > 0)
            as n_explanation_only,
        sum(n_documents) as n_documents_below,
    from rows_with_own
    where parent_code is not null
    group by all
),

final as (
    select
        r.unit_code,
        r.year,
        r.criterion_code,
        r.self_score,
        r.n_documents + coalesce(l.n_documents_below, 0) as n_documents,
        case
            when r.own_status = 'present' or l.criterion_code is null then r.own_status
            when l.n_missing > 0 then 'missing'
            when l.n_explanation_only > 0 then 'explanation_only'
            when l.n_documents_below > 0 then 'present'
            else r.own_status
        end as evidence_status,
    from rows_with_own as r
    left join leaves_below as l using (unit_code, year, criterion_code)
)

select
    *,
    coalesce(self_score > 0, false) and evidence_status = 'missing' as evidence_missing,
from final
