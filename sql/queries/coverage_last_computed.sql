-- When any commune's coverage was last stored (the admin page's status line; cheaper than the per-province table).
SELECT max(computed_at) FROM coverage_commune
