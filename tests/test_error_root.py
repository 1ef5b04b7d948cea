"""Every error class phusong defines derives from the one root, so the CLI and the app handle it in one place."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from sql.errors import PhusongError

PACKAGES = ("sql", "etl", "analysis", "app")


def _own_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        names.append(package)
        names += [m.name for m in pkgutil.walk_packages(root.__path__, prefix=f"{package}.")]
    return names


def _own_error_classes() -> list[type[BaseException]]:
    found = []
    for name in _own_modules():
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == name:
                found.append(value)
    return found


def test_phusong_defines_error_classes_to_check() -> None:
    assert len(_own_error_classes()) >= 15


@pytest.mark.parametrize("error", _own_error_classes(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_error_class_derives_from_the_root(error: type[BaseException]) -> None:
    assert issubclass(error, PhusongError), f"{error.__module__}.{error.__name__} does not derive from PhusongError"


def test_the_cli_turns_any_phusong_error_into_one_line_and_exit_code_1(capsys: pytest.CaptureFixture[str]) -> None:
    from app import cli

    def refuse(_args: object) -> int:
        raise PhusongError("Tệp không đọc được: thiếu cột Loại thiết chế.")

    parser = cli.build_parser()
    args = parser.parse_args(["status"])
    args.handler = refuse
    original = cli.build_parser
    cli.build_parser = lambda: _Fixed(parser, args)  # type: ignore[assignment]
    try:
        code = cli.main(["status"])
    finally:
        cli.build_parser = original
    assert code == 1
    assert capsys.readouterr().err.strip() == "phusong: Tệp không đọc được: thiếu cột Loại thiết chế."


class _Fixed:
    def __init__(self, parser: object, args: object) -> None:
        self._args = args

    def parse_args(self, _argv: object) -> object:
        return self._args
