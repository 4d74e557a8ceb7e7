-- One row per off-track SIPAS criterion (missed or at risk): what it takes to reach the target.
-- Satisfied answers are rate x n / 100 rounded (exact for a rate computed from the answers; for
-- a published rate, the nearest count). The smallest k with (s + k) / n reaching the target is
-- k = ceil(target x n / 100 - s) for ">=", floor(target x n / 100 - s) + 1 for ">", at least 0,
-- exact in DECIMAL; reachable when s + k <= n ("of the same number of answers"). The Wilson
-- interval and the two-proportion test are notes beside the status, never changing it.
-- Reads: criterion_gaps.
with off_track as (
    select * from criterion_gaps
    where index_name = 'SIPAS' and status in ('missed', 'at_risk')
),

counted as (
    select
        g.appendix, g.unit_code, g.criterion_code, g.criterion_name, g.owner_unit, g.owner_name,
        g.status, g.current_stage, g.target_op, g.target_value,
        g.baseline_value as baseline_rate,
        g.baseline_n::bigint as baseline_n,
        round(g.baseline_value * g.baseline_n / 100)::bigint as baseline_satisfied,
        g.current_value as current_rate,
        g.current_n::bigint as current_n,
        round(g.current_value * g.current_n / 100)::bigint as current_satisfied,
        g.small_sample,
    from off_track as g
),

needed as (
    select
        c.*,
        c.target_value - c.current_rate as rate_needed,
        greatest(0, case c.target_op
            when '>' then floor(c.target_value * c.current_n / 100 - c.current_satisfied) + 1
            else ceil(c.target_value * c.current_n / 100 - c.current_satisfied)
        end)::bigint as k,
        case c.target_op when '>' then 'vượt ' else 'đạt ' end as reach_vi,
    from counted as c
),

tested as (
    select
        *,
        two_proportion_z(baseline_satisfied, baseline_n, current_satisfied, current_n) as z,
        two_sided_p(two_proportion_z(baseline_satisfied, baseline_n, current_satisfied,
                                     current_n)) as p,
    from needed
),

final as (
    select
        n.appendix, n.unit_code, n.criterion_code, n.criterion_name, n.owner_unit, n.owner_name,
        n.status, n.current_stage, n.target_op, n.target_value,
        n.baseline_rate, n.baseline_n, n.baseline_satisfied,
        round(wilson_low(n.baseline_satisfied, n.baseline_n), 4) as baseline_low,
        round(wilson_high(n.baseline_satisfied, n.baseline_n), 4) as baseline_high,
        n.current_rate, n.current_n, n.current_satisfied,
        round(wilson_low(n.current_satisfied, n.current_n), 4) as current_low,
        round(wilson_high(n.current_satisfied, n.current_n), 4) as current_high,
        n.rate_needed,
        case when n.current_satisfied + n.k <= n.current_n then n.k end as more_satisfied,
        n.current_satisfied + n.k <= n.current_n as reachable,
        round(n.z, 4) as change_z,
        round(n.p, 4) as change_p,
        abs(n.z) >= z_95() as change_significant,
        n.small_sample,
        case
            when n.current_n is null then 'Cần tăng tỷ lệ hài lòng thêm '
                || vi_number(n.rate_needed, 2) || ' điểm % để '
                || n.reach_vi
                || vi_value('SIPAS', n.target_value)
            when n.current_satisfied + n.k > n.current_n then 'Với ' || n.current_n
                || ' phiếu, kể cả khi mọi phiếu đều hài lòng cũng không '
                || n.reach_vi
                || vi_value('SIPAS', n.target_value)
            else 'Cần thêm ' || n.k || ' phiếu hài lòng trên ' || n.current_n || ' để '
                || n.reach_vi
                || vi_value('SIPAS', n.target_value)
        end as guidance_vi,
        case when n.baseline_n is not null and n.current_n is not null then
            'So với năm cơ sở: '
            || case when abs(n.z) >= z_95() then 'thay đổi có ý nghĩa thống kê'
                else 'chưa phân biệt được với sai số chọn mẫu' end
            || case when n.p < 0.001 then ' (p < 0,001)'
                else ' (p = ' || vi_number(n.p, 3) || ')' end
        end as change_vi,
    from tested as n
)

select (select plan_id from plan_settings) as plan_id, * from final
order by unit_code, criterion_code
