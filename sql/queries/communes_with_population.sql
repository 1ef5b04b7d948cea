-- How many 2025 communes have a population, and the total.
SELECT count(*) FILTER (WHERE population > 0), coalesce(sum(population), 0) FROM commune
