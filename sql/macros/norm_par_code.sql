-- A PAR INDEX criterion code in canonical form: '1.1.' -> '1.1', 'VII' -> '7', 'II.3' -> '2.3'.
create or replace macro norm_par_code(x) as (
    with code as (select rtrim(trim(x), '.') as c, upper(split_part(rtrim(trim(x), '.'), '.', 1)) as head)
    select
        case
            when regexp_full_match(head, '[IVX]+')
                and list_position(['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'], head) > 0
                then cast(list_position(['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'], head) as varchar)
                    || substr(c, length(head) + 1)
            else c
        end
    from code
)
