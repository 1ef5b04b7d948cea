"""Analyses on facilities, villages and population: coverage, people reached, NTM criteria, gaps, planning.

Recomputing coverage, in call order: ``refresh`` (which communes are stale, under which locks) -> ``store``
(``analyse``: one run, stored in coverage_commune/_village) -> ``inputs`` (read a scope's communes, facilities,
villages) -> ``assessment`` (every stored column of a commune) -> ``cover`` (communes in parts, one UTM zone
each, in worker processes) -> ``coverage`` (radii, discs, their union clipped to the commune, villages reached).
People: ``population`` (grids, counting cells) and ``population_raster`` (the active raster, its cached totals,
building a derived one). Verdicts: ``criteria`` (classes) and ``rules`` (NTM rule sets). Planning: the
``planning`` package. Documents: ``gaps`` and ``reports``.
"""
