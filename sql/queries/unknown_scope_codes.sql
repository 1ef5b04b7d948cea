-- Which of :codes are neither a loaded 2025 province nor a loaded 2025 commune (a scope must name loaded units).
SELECT c.code
  FROM unnest(CAST(:codes AS text[])) AS c(code)
 WHERE NOT EXISTS (SELECT 1 FROM admin_unit u
                    WHERE u.version = '2025' AND u.level IN ('province', 'commune') AND u.code = c.code)
 ORDER BY c.code;
