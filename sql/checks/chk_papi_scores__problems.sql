-- One row per problem found in an incoming PAPI scores extract (long or wide).
-- Reads: incoming, ref_papi_codes. Scale (as int_papi__scores): a dimension D1-D8 scores 1-10;
-- a sub-dimension at most 10/k, k the number of sub-dimensions of its dimension: from the
-- reference structure where it is known, else counted in the file for that year.
{% from '_shapes.sql.j2' import missing_required, not_a_number with context -%}
with incoming as (
    select * from incoming
),

missing as (
    {{ missing_required() }}
),

not_numbers as (
    {{ not_a_number('incoming', 'year', 'một năm (số nguyên, ví dụ 2024)') }}
    union all
    {{ not_a_number('incoming', 'score', 'một điểm số (ví dụ 5,45)') }}
),

bad_codes as (
    select source_file, source_sheet, source_row, 'code' as column_name, code as value,
        'bad_code' as problem,
        'mã chỉ số nội dung D1-D8 hoặc nội dung thành phần dạng 6.2' as expected,
    from incoming
    where code is not null and not regexp_full_match(trim(code), '[Dd][1-8]|[1-8]\.[1-9]')
),

subdimensions as (
    select source_file, source_sheet, source_row, score, trim(year) as year,
        'D' || split_part(trim(code), '.', 1) as dimension, trim(code) as code,
    from incoming
    where regexp_full_match(trim(code), '[1-9]\.[1-9]')
),

subdims_in_reference as (
    select dimension, count(*) as n_subdims,
    from ref_papi_codes
    where code <> dimension
    group by all
),

subdims_in_file as (
    select year, dimension, count(distinct code) as n_subdims,
    from subdimensions
    group by all
),

subdim_bounds as (
    select s.*, exact_div(10, coalesce(r.n_subdims, f.n_subdims)) as scale_max,
    from subdimensions as s
    left join subdims_in_reference as r using (dimension)
    left join subdims_in_file as f using (year, dimension)
),

out_of_range as (
    select source_file, source_sheet, source_row, 'score' as column_name, score as value,
        'out_of_range' as problem, 'điểm chỉ số nội dung từ 1 đến 10' as expected,
    from incoming
    where regexp_full_match(trim(code), '[Dd][1-9]')
        and (parse_decimal(score) < 1 or parse_decimal(score) > 10)
    union all
    select source_file, source_sheet, source_row, 'score' as column_name, score as value,
        'out_of_range' as problem,
        'điểm nội dung thành phần của ' || dimension || ' lớn hơn 0 và không quá '
            || vi_number(scale_max, null) || ' (10 chia cho số nội dung thành phần)' as expected,
    from subdim_bounds
    -- scale_max is 10/k rounded to 6 places: a published 3,333333 or 3,3333 is within it
    where parse_decimal(score) <= 0 or parse_decimal(score) > scale_max + 0.000001
),

duplicates as (
    select source_file, source_sheet, source_row, 'code' as column_name, code as value,
        'duplicate_key' as problem, 'một điểm cho mỗi năm × tỉnh × mã' as expected,
    from incoming
    qualify count(*) over (partition by trim(year), fold_key(province), upper(trim(code))) > 1
),

final as (
    select * from missing
    union all select * from not_numbers
    union all select * from bad_codes
    union all select * from out_of_range
    union all select * from duplicates
)

select * from final
