-- Every 2025 commune code (a commune-groups file may name only these).
SELECT code FROM commune ORDER BY code
