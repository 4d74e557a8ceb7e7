-- Statistics of a proportion of satisfied answers s of n (DOUBLE: estimates, not targets).
-- z_95 is the two-sided 95 % normal quantile, 1,959963984540054.
-- wilson_low / wilson_high: the Wilson score interval at 95 %, in % (0-100):
--   (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), p = s / n.
-- two_proportion_z: the pooled two-proportion z statistic of s2/n2 against s1/n1, no continuity
--   correction: (p2 - p1) / sqrt(p(1-p)(1/n1 + 1/n2)), p = (s1 + s2) / (n1 + n2); 0 when both
--   rates are 0 % or both 100 % (no difference to test).
-- two_sided_p: P(|Z| >= |z|) = erfc(|z| / √2), erfc by Abramowitz & Stegun 7.1.26 (absolute
--   error under 1,5e-7; DuckDB has no erf). Whether p < 0,05 is decided on |z| >= z_95, exactly.
create or replace macro z_95() as 1.959963984540054::double;
create or replace macro wilson_low(s, n) as
    100 * ((s / n::double + z_95() ** 2 / (2 * n))
        - z_95() * sqrt((s / n::double) * (1 - s / n::double) / n + z_95() ** 2 / (4 * n * n)))
        / (1 + z_95() ** 2 / n);
create or replace macro wilson_high(s, n) as
    100 * ((s / n::double + z_95() ** 2 / (2 * n))
        + z_95() * sqrt((s / n::double) * (1 - s / n::double) / n + z_95() ** 2 / (4 * n * n)))
        / (1 + z_95() ** 2 / n);
create or replace macro two_proportion_z(s1, n1, s2, n2) as
    case
        when (s1 + s2) = 0 or (s1 + s2) = (n1 + n2) then 0::double
        else (s2 / n2::double - s1 / n1::double) / sqrt(
            ((s1 + s2) / (n1 + n2)::double) * (1 - (s1 + s2) / (n1 + n2)::double)
            * (1 / n1::double + 1 / n2::double))
    end;
create or replace macro erfc_as(x) as
    (0.254829592 * (1 / (1 + 0.3275911 * x))
        - 0.284496736 * (1 / (1 + 0.3275911 * x)) ** 2
        + 1.421413741 * (1 / (1 + 0.3275911 * x)) ** 3
        - 1.453152027 * (1 / (1 + 0.3275911 * x)) ** 4
        + 1.061405429 * (1 / (1 + 0.3275911 * x)) ** 5) * exp(-(x * x));
create or replace macro two_sided_p(z) as erfc_as(abs(z) / sqrt(2))
