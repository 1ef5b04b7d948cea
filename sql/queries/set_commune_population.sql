-- A 2025 commune's population, apportioned from the census, with its source.
UPDATE admin_unit SET population = :p, population_source = :s WHERE version = '2025' AND level = 'commune' AND code = :code
