-- A PAR INDEX criterion code as people write it: 1, 1.1, 1.1.2, a trailing dot ('1.1.'), Roman
-- numerals for an area ('IV', 'VII.2').
create or replace macro is_par_code(x) as
    regexp_full_match(trim(x), '([0-9]+|[IVXivx]+)(\.[0-9]+)*\.?')
