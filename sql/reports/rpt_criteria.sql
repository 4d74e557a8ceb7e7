-- One row per criterion per appendix of criterion_gaps, as documents show it: the values as
-- text (vi_value, vi_gap: the one place their display is decided), the gap as a share of the
-- maximum, and the sort keys every list uses.
-- Reads: criterion_gaps.
with gaps as (
    select * from criterion_gaps
),

final as (
    select
        g.*,
        list_position(['PAR', 'SIPAS', 'PAPI'], g.index_name) as index_order,
        try_cast(string_split(regexp_replace(g.criterion_code, '^[A-Za-z]+', ''), '.')
            as integer[]) as code_order,
        g.gap / nullif(g.max_value, 0) as relative_gap,
        vi_value(g.index_name, g.baseline_value) as baseline_text,
        case when g.target_value is not null then
            case g.target_op when '>=' then '≥ ' when '>' then '> ' else '' end
            || vi_value(g.index_name, g.target_value)
        end as target_text,
        vi_value(g.index_name, g.current_value) as current_text,
        vi_gap(g.index_name, g.gap) as gap_text,
        case when g.max_value > 0 and g.gap is not null
            then vi_number(g.gap * 100 / g.max_value, 1) || '%'
        end as relative_gap_text,
        vi_value(g.index_name, g.children_value) as children_text,
        vi_value(g.index_name, g.baseline_children_value) as baseline_children_text,
    from gaps as g
)

select * from final
