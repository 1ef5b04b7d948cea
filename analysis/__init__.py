"""Analyses on facilities, villages and population: coverage, people reached, NTM criteria, gaps, planning."""
