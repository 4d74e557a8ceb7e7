-- One row per problem found in an incoming PAR INDEX extract: where it is and what was expected.
-- Reads: incoming (one extract, as text), and for unit codes ref_units, ref_unit_changes,
-- ref_province_names, plan_provinces, plan_unit_provinces. Bulk input is validated here, in SQL, not in pandas.
-- children_sum rows are warnings, not errors: a TC (or an area) whose own score differs from
-- the sum of its children's scores; the file loads, and the target is judged on the stated
-- score (data/README.md, "PAR INDEX scores").
-- Sized for millions of rows: one scan finds the rows to report and only those are read again;
-- codes and years, a few hundred distinct values, are parsed once each.
{% from '_shapes.sql.j2' import missing_required, not_a_number, problem with context -%}
{% from '_units.sql.j2' import unit_problems -%}
with incoming as not materialized (
    select * from incoming
),

-- any_value keeps the parses below above the grouping (a filter on a grouped column would be
-- pushed below it, to every row)
codes as materialized (
    select
        criterion_code,
        norm_par_code(criterion_code) as code_key,
        criterion_code is not null and not is_par_code(criterion_code) as is_bad_code,
    from (select any_value(criterion_code) as criterion_code, from incoming group by criterion_code)
),

years as materialized (
    select any_value(year) as year, from incoming group by year
),

bad_years as (
    select year from years where year is not null and parse_integer(year) is null
),

parsed as (
    select
        *,
        parse_decimal(max_points) as max_number,
        parse_decimal(self_score) as self_number,
        parse_decimal(appraised_score) as appraised_number,
    from incoming
),

flagged as materialized (
    select * from parsed
    where unit_code is null or year is null or criterion_code is null or criterion_name is null
        or max_points is null
        or year in (select year from bad_years)
        or criterion_code in (select criterion_code from codes where is_bad_code)
        or max_number is null
        or (self_score is not null and self_number is null)
        or (appraised_score is not null and appraised_number is null)
        or max_number <= 0
        or self_number < 0 or self_number > max_number
        or appraised_number < 0 or appraised_number > max_number
),

missing as (
    {{ missing_required('flagged') }}
),

not_numbers as (
    {{ not_a_number('flagged', 'year', 'một năm (số nguyên, ví dụ 2024)',
                    where='year in (select year from bad_years)') }}
    union all
    {{ not_a_number('flagged', 'max_points', 'một số (ví dụ 0,5 hoặc 0.5)') }}
    union all
    {{ not_a_number('flagged', 'self_score', 'một số, hoặc "Không áp dụng"',
                    where='not is_not_applicable(self_score)') }}
    union all
    {{ not_a_number('flagged', 'appraised_score', 'một số, hoặc "Không áp dụng"',
                    where='not is_not_applicable(appraised_score)') }}
),

bad_codes as (
    {{ problem('flagged', 'criterion_code', 'bad_code',
               "'một mã tiêu chí dạng 1, 1.1, 1.1.2 (cho phép dấu chấm cuối, số La Mã cho lĩnh"
               " vực)'", 'criterion_code in (select criterion_code from codes where is_bad_code)')
    }}
),

out_of_range as (
    select source_file, source_sheet, source_row, 'max_points' as column_name,
        max_points as value, 'out_of_range' as problem, 'điểm tối đa lớn hơn 0' as expected,
    from flagged where max_number <= 0
    union all
    select source_file, source_sheet, source_row, 'self_score', self_score, 'out_of_range',
        'điểm trong khoảng 0 đến điểm tối đa (' || trim(max_points) || ')',
    from flagged
    where self_number < 0 or self_number > max_number
    union all
    select source_file, source_sheet, source_row, 'appraised_score', appraised_score,
        'out_of_range', 'điểm trong khoảng 0 đến điểm tối đa (' || trim(max_points) || ')',
    from flagged
    where appraised_number < 0 or appraised_number > max_number
),

-- Keys seen twice, found by sorting a hash of each row's key (cheaper than grouping a million
-- keys); the rows with such a hash are then counted on the key itself. Cells come trimmed from
-- the reader. A row without a code is reported as missing, not as a duplicate.
keyed as not materialized (
    select incoming.*, codes.code_key, hash(unit_code, year, codes.code_key) as key_hash,
    from incoming
    join codes using (criterion_code)
),

repeated_hashes as (
    select key_hash from (
        select key_hash, lag(key_hash) over (order by key_hash) as previous, from keyed
    )
    where key_hash = previous
),

duplicates as (
    select source_file, source_sheet, source_row, 'criterion_code' as column_name,
        criterion_code as value, 'duplicate_key' as problem,
        'một dòng cho mỗi đơn vị × năm × tiêu chí (mã này lặp lại '
            || key_rows || ' lần)' as expected,
    from (
        select *, count(*) over (partition by unit_code, year, code_key) as key_rows,
        from keyed
        where key_hash in (select key_hash from repeated_hashes)
    )
    where key_rows > 1
),

-- The tree adds up: each stage (self-assessed, appraised) is compared where the node and every
-- one of its children have a score of that stage ("Không áp dụng" is not a score).
staged as (
    select
        p.unit_code, p.year, c.code_key, p.source_file, p.source_sheet, p.source_row,
        p.self_score, p.appraised_score,
        case when c.code_key like '%.%' then regexp_replace(c.code_key, '\.[^.]+$', '') end
            as parent_key,
        p.self_number as self_value,
        p.appraised_number as appraised_value,
    from parsed as p
    join codes as c using (criterion_code)
),

children as (
    select
        unit_code, year, parent_key as code_key,
        count(*) as n_children,
        count(self_value) as n_self,
        count(appraised_value) as n_appraised,
        sum(self_value) as children_self,
        sum(appraised_value) as children_appraised,
    from staged
    where parent_key is not null
    group by all
),

children_sums as (
    select
        s.source_file, s.source_sheet, s.source_row, stage.column_name, stage.value,
        'children_sum' as problem,
        'bằng tổng điểm các tiêu chí con: ' || vi_num(stage.children_value, 4)
            || ' (đơn vị ' || s.unit_code || ', năm ' || s.year || ', tiêu chí '
            || s.code_key || ')' as expected,
    from staged as s
    join children as k using (unit_code, year, code_key)
    cross join lateral (
        select 'self_score' as column_name, s.self_score as value, s.self_value as stated,
            k.children_self as children_value
        where s.self_value is not null and k.n_self = k.n_children
        union all
        select 'appraised_score', s.appraised_score, s.appraised_value, k.children_appraised
        where s.appraised_value is not null and k.n_appraised = k.n_children
    ) as stage
    where stage.stated <> stage.children_value
),

-- unit codes the register does not decide, units gone by the year, old codes loaded under
-- their successor (a warning): _units.sql.j2
unit_codes as (
    {{ unit_problems('incoming', 'ref_province_names') }}
),

final as (
    select * from missing
    union all select * from not_numbers
    union all select * from bad_codes
    union all select * from out_of_range
    union all select * from duplicates
    union all select * from children_sums
    union all select * from unit_codes
)

select * from final
