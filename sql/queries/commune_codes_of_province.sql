-- The 2025 commune codes of one province (scope checks of province-wide work such as a plan).
SELECT code FROM commune WHERE province_code = :province ORDER BY code;
