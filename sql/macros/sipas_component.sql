-- A SIPAS component as written in a criteria sheet, as its code: 'policy' (Sự hài lòng về
-- chính sách) or 'service_delivery' (về cung ứng dịch vụ công), the two components SIPAS
-- reports from 2024; NULL for an empty cell (the 2023 layout: elements only) and for a word it
-- does not know (the input check refuses those).
create or replace macro sipas_component(x) as
    case
        when fold_key(x) in ('policy', 'chinh sach', 'su hai long ve chinh sach',
            'thuc hien chinh sach', 'cs') then 'policy'
        when fold_key(x) in ('service_delivery', 'service delivery', 'service',
            'cung ung dich vu', 'cung ung dich vu cong', 'dich vu cong', 'dich vu',
            'su hai long ve cung ung dich vu cong', 'dv') then 'service_delivery'
    end
