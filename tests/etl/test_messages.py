"""The reason catalogue (etl/messages.py): every code the loaders write has an English and a Vietnamese template,
and each Vietnamese rendering is Vietnamese and names its values."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from etl.lineage import LoadResult
from etl.messages import LANGUAGES, MESSAGES, placeholders, render
from etl.validate import RowIssue

ETL = Path(__file__).resolve().parents[2] / "etl"
# Calls whose argument at this position (or keyword ``code``) is a reason code.
_CODE_ARGUMENT = {"RowIssue": 3, "CellRefused": 0, "reject": 2}


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _codes_in(tree: ast.AST) -> set[str]:
    """Every reason code written in a module: a RowIssue / CellRefused / reject(...) argument, a ``code=``
    keyword, or the first item of a (code, values) pair."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            position = _CODE_ARGUMENT.get(_name(node))
            arguments = list(node.args)
            if position is not None and len(arguments) > position:
                found.add(ast.literal_eval(arguments[position])) if isinstance(arguments[position], ast.Constant) \
                    else None
            found |= {k.value.value for k in node.keywords
                      if k.arg == "code" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)}
        if isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[1], ast.Dict) \
                and isinstance(node.elts[0], ast.Constant) and isinstance(node.elts[0].value, str):
            found.add(node.elts[0].value)
    return {code for code in found if isinstance(code, str) and code}


def _codes_used() -> dict[str, str]:
    """code -> the first module that writes it, over every module of etl/."""
    used: dict[str, str] = {}
    for path in sorted(ETL.rglob("*.py")):
        for code in _codes_in(ast.parse(path.read_text(encoding="utf-8"))):
            used.setdefault(code, str(path.relative_to(ETL.parent)))
    return used


def test_the_scan_finds_the_loaders_codes() -> None:
    used = _codes_used()
    assert len(used) >= 70  # the loaders write that many kinds of problem
    assert {"unknown_status", "repeated_id", "village_in_no_commune", "report_commune_ambiguous",
            "below_minimum"} <= set(used)
    # A code a scan must see: written in each of the ways the loaders write them.
    written = "RowIssue(1, 'f', 'v', 'a_code'); CellRefused('b_code'); reject('x', v, 'c_code'); " \
              "FeedbackError('e', code='d_code'); pair = ('e_code', {})"
    assert _codes_in(ast.parse(written)) == {"a_code", "b_code", "c_code", "d_code", "e_code"}


def test_every_code_the_etl_writes_has_an_english_and_a_vietnamese_template() -> None:
    used = _codes_used()
    missing = {code: where for code, where in used.items() if code not in MESSAGES}
    assert not missing, f"codes without a template in etl/messages.py: {missing}"
    empty = [code for code in used if not all(t.strip() for t in MESSAGES[code])]
    assert not empty


def test_every_template_is_used_by_a_loader() -> None:
    assert set(MESSAGES) - set(_codes_used()) == set()


# A value for every name the templates use, and how the Vietnamese shows it.
SAMPLES: dict[str, tuple[Any, str]] = {
    "maximum": (12_345, "12.345"), "unit": ("watts", "W"), "this_year": (2026, "2026"), "earliest": (1945, "1945"),
    "fixed": ("103.05.1", "103.05.1"), "accepted": (["Hoạt động", "Hư hỏng"], "Hoạt động, Hư hỏng"),
    "examples": (["Cụm loa truyền thanh"], "Cụm loa truyền thanh"), "first_row": (17, "17"),
    "epsg": (32648, "32648"), "lon": (103.25, "103.25"), "lat": (21.5, "21.5"), "name": ("Mường Phăng", "Mường Phăng"),
    "code": ("03199", "03199"), "lon2": (21.5, "21.5"), "lat2": (103.25, "103.25"),
    "inner": ("geopoint_invalid", "không phải là vị trí GPS"), "commune": ("Thanh Nưa", "Thanh Nưa"),
    "choices": (["hotline", "zalo"], "Đường dây nóng, Zalo"), "what": ("channel", "kênh tiếp nhận"),
    "received": ("20/11/2026", "20/11/2026"), "count": (12_000, "12.000"),
    "codes": (["03199", "03127"], "03199, 03127"),
    "id": (42, "42"), "commune_code": ("99999", "99999"), "given": ("03127", "03127"), "outside": (3, "3"),
    "total": (40, "40"), "communes": ("Mường Phăng (03199)", "Mường Phăng (03199)"),
    "kind": ("float_type", "float_type"),
    "limit": (-180, "-180"), "field": ("ma_xa", "ma_xa"), "stored": ("Chưa có tên (03199)", "Chưa có tên (03199)"),
    "first": (1, "1"),
    "batch": (1234, "1234"), "when": ("04/12/2026 14:05", "04/12/2026 14:05"), "later": ([17, 19], "17, 19"),
    "entry": ("../etc/x", "../etc/x"), "layer": ("diem", "diem"), "layers": (["vung", "duong"], "vung, duong"),
    "sheet": ("Trang2", "Trang2"), "sheets": (["Trang1"], "Trang1"), "byte": (12, "12"),
    "encoding": ("cp1258", "cp1258"), "size": ("41 MB", "41 MB"),
    "fields": (["'ma'"], "'ma'"), "kinds": (["LineString"], "LineString"),
    "versions": (["2019", "2025"], "2019, 2025"),
    "version": ("2030", "2030"), "row": (7, "7"), "value": ("abc", "abc"), "level": ("huyen", "huyen"),
    "section": ("types", "types"), "header": ("Toạ độ X", "Toạ độ X"), "target": ("xx", "xx"),
    "targets": (["lon", "lat"], "lon, lat"), "sections": (["foo"], "foo"), "expected": (["columns"], "columns"),
    "crs": ("VN2000", "VN2000"), "sample": ("X=2345678", "X=2345678"), "zones": ("EPSG:9205", "EPSG:9205"),
    "columns": (["Tình trạng"], "Tình trạng"), "headers": (["Ngày", "Ghi chú"], "Ngày, Ghi chú"),
}
# Words that would show English left in a Vietnamese reason.
ENGLISH = re.compile(r"\b(is|the|expected|row|not|empty|skipped|point|stored|commune|communes|number|should|of|or|"
                     r"and|a|lies|outside|given|used|input|value|loaded|such|missing|inspection|facility|report|"
                     r"were|swapped|file|cells|raster|treated|mapping|crs|doubtful|unknown|kept|position)\b",
                     re.IGNORECASE)


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_code_reads_in_vietnamese_and_names_its_values(code: str) -> None:
    import etl.feedback  # noqa: F401  (registers the Vietnamese labels of report codes)

    names = placeholders(code)
    assert names <= set(SAMPLES), f"add a sample for {names - set(SAMPLES)}"
    values = {name: SAMPLES[name][0] for name in names}
    vietnamese = render(code, values, "vi")
    assert "{" not in vietnamese and vietnamese != render(code, values, "en")
    for name in names:
        assert SAMPLES[name][1] in vietnamese, (name, vietnamese)
    bare = vietnamese
    for name in names:
        bare = bare.replace(SAMPLES[name][1], "")
    assert not ENGLISH.search(bare), (code, vietnamese)
    issue = RowIssue(5, "Kinh độ", "x?y", code, values)
    assert issue.message("khao_sat.csv", "vi").startswith("khao_sat.csv, dòng 5, trường 'Kinh độ': 'x?y' ")
    assert not issue.text("vi")[0].islower()


def test_the_english_reasons_read_as_before() -> None:
    issue = RowIssue(3, "Số loa", "99999999", "count_too_large", {"maximum": 10_000})
    assert issue.message("f.csv") == "f.csv, row 3, field 'Số loa': '99999999' is implausibly large (more than " \
                                     "10,000); a typo?"
    assert RowIssue(4, "", "", "point_outside_vn", {"lon": 151.2, "lat": -33.9}).message("f.csv", "en") == (
        "f.csv, row 4: point (lon 151.2, lat -33.9) is outside Viet Nam; check the coordinates and --crs")


def test_the_summary_line_is_made_from_the_counts() -> None:
    result = LoadResult(file="khao_sat.xlsx", kind="facilities", rows=12_345, loaded=12_000, updated=3,
                        unchanged=1_001, skipped=2, skip_reason="not facility rows", dry_run=True,
                        issues=[RowIssue(4, "Số loa", "x", "count_not_whole"),
                                RowIssue(5, "Tình trạng", "", "status_empty", severity="warning")])
    assert result.summary("vi") == (
        "khao_sat.xlsx: đọc 12.345 dòng; xem trước, chưa ghi gì: sẽ nạp mới 12.000, cập nhật 3, không đổi 1.001, "
        "bỏ qua 2 (không phải dòng thiết chế), cảnh báo 1, bị loại 1")
    assert result.summary("en").startswith("khao_sat.xlsx: 12345 rows read, dry run")
    again = LoadResult(file="thon.csv", kind="villages", rows=40, unchanged=40, already_loaded=7)
    assert again.summary("vi") == ("thon.csv: tệp này đã được nạp (lô 7), nạp lại không thay đổi gì "
                                   "(đọc 40 dòng, nạp mới 0, cập nhật 0, không đổi 40)")


def test_the_reject_report_has_the_code_and_the_sentence_in_the_users_language(tmp_path: Path) -> None:
    from etl.lineage import write_report

    result = LoadResult(file="khao_sat.csv", kind="facilities", rows=4, dry_run=True,
                        issues=[RowIssue(3, "Tình trạng", "ok?", "unknown_status", {"accepted": ["Hoạt động"]})])
    path = write_report(result, tmp_path, lang="vi")
    assert path is not None
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "row,field,value,reason,severity,message,code"
    assert lines[1] == ("3,Tình trạng,ok?,is not a known status (Hoạt động),reject,"
                        "\"khao_sat.csv, dòng 3, trường 'Tình trạng': 'ok?' không phải là tình trạng đã biết "
                        "(Hoạt động)\",unknown_status")


def test_the_cli_says_the_reasons_in_the_language_phusong_lang_asks_for(monkeypatch: pytest.MonkeyPatch) -> None:
    result = LoadResult(file="khao_sat.csv", kind="facilities", rows=2,
                        issues=[RowIssue(2, "Năm lắp đặt", "2999", "year_in_future", {"this_year": 2026})])
    monkeypatch.delenv("PHUSONG_LANG", raising=False)
    assert result.messages("reject") == ["khao_sat.csv, row 2, field 'Năm lắp đặt': '2999' is in the future "
                                         "(this is 2026)"]
    monkeypatch.setenv("PHUSONG_LANG", "vi")
    assert result.messages("reject") == ["khao_sat.csv, dòng 2, trường 'Năm lắp đặt': '2999' là năm trong tương "
                                         "lai (năm nay là 2026)"]
    assert result.summary().startswith("khao_sat.csv: đọc 2 dòng; đã nạp mới 0")


def test_a_whole_file_refusal_is_a_code_english_on_the_cli_vietnamese_in_the_app(tmp_path: Path) -> None:
    """A reader's refusal carries its code: the CLI reads the path, the sentence and its flag; the app renders
    the sentence alone (no server path, no flag) in either language from the same catalogue."""
    from etl.errors import LoadRefusedError
    from etl.readers import read_table

    legacy = tmp_path / "xa_cu.csv"
    legacy.write_bytes("Tên xã;So loa\nPhú Hà;2\n".encode("latin-1"))
    with pytest.raises(LoadRefusedError) as refused:
        read_table(legacy)
    exc = refused.value
    assert exc.code == "not_utf8" and exc.code in MESSAGES
    assert str(exc).startswith(f"{legacy}: is not UTF-8") and "--encoding cp1258" in str(exc)
    for lang in LANGUAGES:
        assert str(tmp_path) not in exc.render(lang) and "--" not in exc.render(lang)
    assert exc.render("vi").startswith("Tệp không phải mã UTF-8") and exc.vi == f"{legacy}: {exc.render('vi')}"
    assert exc.render("en") == render("not_utf8", exc.values, "en")


def test_no_whole_file_refusal_in_the_etl_is_an_english_sentence_any_more() -> None:
    """Every LoadRefusedError(...) of etl/ is a code of the catalogue with its values: none passes a sentence
    (a string or an f-string) as its message, which the app could only show in English."""
    sentences = []
    for path in sorted(ETL.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node) == "LoadRefusedError":
                keywords = {k.arg for k in node.keywords}
                written = node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))
                if written or "code" not in keywords and not node.args:
                    sentences.append(f"{path.relative_to(ETL.parent)}:{node.lineno}")
    assert not sentences, f"refusals still written as sentences: {sentences}"
