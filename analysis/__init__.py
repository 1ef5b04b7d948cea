"""Analyses on arrays and GeoDataFrames: coverage, population, criteria, gaps and planning."""
