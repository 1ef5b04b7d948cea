-- True when no 2025 commune is loaded yet (a survey cannot be placed).
SELECT NOT EXISTS (SELECT 1 FROM commune)
