"""Analysis on data in hand: coverage, population, criteria, gaps, planning. Returns data, never figures."""
