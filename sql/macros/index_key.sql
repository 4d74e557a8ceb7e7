-- Which index a cell names: 'PAR INDEX', 'Chỉ số CCHC', 'par' -> 'PAR'; 'SIPAS', 'Chỉ số hài
-- lòng' -> 'SIPAS'; 'PAPI' -> 'PAPI'; anything else -> null.
create or replace macro index_key(x) as (
    case
        when fold_key(x) in ('par', 'par index', 'parindex', 'cchc', 'chi so cchc',
                             'chi so cai cach hanh chinh') then 'PAR'
        when fold_key(x) in ('sipas', 'chi so sipas', 'chi so hai long', 'hai long')
            then 'SIPAS'
        when fold_key(x) in ('papi', 'chi so papi') then 'PAPI'
    end
)
