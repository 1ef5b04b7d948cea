"""`python -m bench`: run every benchmark."""

from bench import coverage

if __name__ == "__main__":
    raise SystemExit(coverage.main())
