-- The stored QĐ 51/2025 group and decision of these communes (what a commune-groups load compares with).
SELECT commune_code, commune_group, decision FROM commune_group WHERE commune_code = ANY(CAST(:codes AS text[]))
