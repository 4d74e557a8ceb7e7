-- A criterion's value as every document shows it, decided here once: a SIPAS rate is a percent
-- with 2 decimals (75,03%); a PAR or PAPI score is points with at most 4 decimals and at least
-- one (1,5 điểm; 4,1974 điểm; 2,0 điểm). vi_gap: the same, signed; a SIPAS gap is in
-- percentage points (-8,97 điểm %); no gap is 0.
create or replace macro vi_value(index_name, x) as
    case
        when x is null then '–'
        when index_name = 'SIPAS' then vi_number(x, 2) || '%'
        when vi_number(x, null) like '%,%' then vi_number(x, null) || ' điểm'
        else vi_number(x, null) || ',0 điểm'
    end;
create or replace macro vi_gap(index_name, x) as
    case
        when x is null then '–'
        when x = 0 then '0'
        when index_name = 'SIPAS' then case when x > 0 then '+' else '' end
            || vi_number(x, 2) || ' điểm %'
        else case when x > 0 then '+' else '' end
            || case when vi_number(x, null) like '%,%' then vi_number(x, null)
                else vi_number(x, null) || ',0' end || ' điểm'
    end
