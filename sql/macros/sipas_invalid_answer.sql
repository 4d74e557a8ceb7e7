-- A SIPAS answer cell that holds something other than a level from 1 to 5 ('6', '0', '3.5', 'x'):
-- reported and left out of n. A blank cell is no answer; '4,0' and ' 3 ' are levels.
-- (It calls parse_decimal: macros are created in file-name order, and this name comes after.)
create or replace macro sipas_invalid_answer(x) as
    nullif(trim(x), '') is not null and not coalesce(parse_decimal(x) in (1, 2, 3, 4, 5), false)
