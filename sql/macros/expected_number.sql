-- What a number cell that is not one should hold, for people: a number written with thousands
-- separators ('36.525', '1.234,5') is told so; otherwise `fallback` says what the column holds.
-- `whole`: an integer column (a year, a count); otherwise a decimal one.
create or replace macro expected_number(x, whole, fallback) as
    case
        when whole and regexp_full_match(trim(x), '[0-9]{1,3}([.,][0-9]{3})+')
            then 'một số nguyên viết liền, không có dấu phân cách hàng nghìn (ví dụ 36525,'
                || ' không phải 36.525 hay 36,525)'
        when not whole and regexp_full_match(trim(x), '[+-]?[0-9]+([.,][0-9]+){2,}')
            then 'một số chỉ có một dấu thập phân (0,5 hoặc 0.5), không có dấu phân cách hàng'
                || ' nghìn'
        else fallback
    end
