"""Deliberate exceptions to `make lint`'s dead-code check (vulture, [tool.vulture] in pyproject.toml).

Each name here is used by something vulture cannot see; say what. Never imported or run.
"""
# ruff: noqa
# mypy: ignore-errors

# Attributes set on other libraries' objects, which read them: highspy's HighsLp (analysis/planning/solvers.py),
# openpyxl cells and sheets, Dash's index scripts, psycopg2's connection.
_.num_col_, _.num_row_, _.sense_, _.col_cost_, _.col_lower_, _.col_upper_, _.row_lower_, _.row_upper_
_.integrality_, _.format_, _.start_, _.index_, _.value_
_.comment, _.freeze_panes, _.number_format
_.default_js, _.default_css
_.autocommit
_.footer  # fpdf2 calls FPDF.footer on every page (analysis/outputs/pdf.py)

# Fields read by name: CoverageParams.metric_crs is written into every run's parameters (asdict);
# UnitCosts.upgrade_station_ip is looked up by action name (getattr(costs, action)); the etl/models.py fields
# are pydantic model fields the validator fills and the loaders read through model_dump.
_.metric_crs
_.upgrade_station_ip
_.installed_year, _.commune_typed, _.province_typed, _.village_typed, _.swap_candidate

# Fixtures a test requests for their side effect only (pytest reads the argument's name).
committed_area, gdal_basic_auth

# Module-level __getattr__ (PEP 562): Python calls it for a name the module does not hold yet (analysis/planning).
__getattr__

# Set on flask.g and read back with flask.g.get("live_gis_token") (app/live_gis/__init__.py), which vulture cannot see.
_.live_gis_token

# Called by the libraries that own them: gunicorn's BaseApplication.load_config (app/commands/_gunicorn.py),
# openpyxl's workbook properties (sql/table_writer.py sets the creator the file's metadata shows).
load_config
_.creator

# Read by HiGHS (highspy.HighsSolution of a MIP start, analysis/planning/phased.py).
_.value_valid

# analysis.store.AnalyseResult.rules_provisional: part of what a recompute returns (with rules_name), for callers.
_.rules_provisional
