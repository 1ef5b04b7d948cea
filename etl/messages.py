"""The one catalogue of what a load says about a row: a reason code -> its English and Vietnamese template.

A loader never writes a sentence: it records a :class:`etl.validate.RowIssue` with a ``code`` from
:data:`MESSAGES` and the ``values`` the templates name (``{value}``-style fields). The CLI, the reject report CSV
and the web app render the same issue in the user's language with :func:`render`. A code's values are kept as
data (numbers, lists, codes); numbers are written the way each language writes them (10,000 / 10.000), lists are
joined with commas, units and loader-named fields are said in Vietnamese. Words are GLOSSARY.md's.

tests/etl/test_messages.py fails when a code the loaders use lacks a template here, in either language.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Mapping
from typing import Any

LANGUAGES = ("vi", "en")
_COORDINATE_EXAMPLE = "105°53'12.5\"E"
_POINT_EN = "point (lon {lon}, lat {lat})"
_POINT_VI = "điểm (kinh độ {lon}, vĩ độ {lat})"

# code -> (English template, Vietnamese template). Grouped by the loader that writes them.
MESSAGES: dict[str, tuple[str, str]] = {
    # Whole-file refusals (etl/readers/, etl/limits.py): LoadRefusedError(code=..., path=...), said after the file.
    # Undoing a load (etl/load_undo.py, issue 21): LoadRefusedError(code=...) with no file.
    "undo_batch_missing": ("there is no load number {batch}", "Không có lần tải số {batch}."),
    "undo_already_done": ("load {batch} was already undone on {when}", "Lần tải {batch} đã được hoàn tác lúc {when}."),
    "undo_kind_unsupported": ("only a load of facilities, villages or inspections can be undone, load {batch} is of "
                              "{kind}",
                              "Chỉ hoàn tác được lần tải thiết chế, thôn hoặc kiểm tra; lần tải {batch} là {kind}."),
    "undo_villages_changed": ("load {batch} cannot be undone: {count} of its villages were changed since "
                              "(later loads {later}); undo those first",
                              "Không thể hoàn tác lần tải {batch}: {count} thôn của lần tải này đã được thay đổi "
                              "sau đó (các lần tải sau: {later}); hãy hoàn tác các lần đó trước."),
    "undo_villages_used": ("load {batch} cannot be undone: {count} facilities now stand in the villages it added",
                           "Không thể hoàn tác lần tải {batch}: đã có {count} thiết chế thuộc các thôn lần tải này "
                           "thêm."),
    "undo_inspections_withdrawn": ("load {batch} cannot be undone: {count} of its inspections were withdrawn or "
                                   "corrected since",
                                   "Không thể hoàn tác lần tải {batch}: {count} lần kiểm tra của lần tải này đã được "
                                   "rút lại hoặc sửa sau đó."),
    "undo_inspections_later": ("load {batch} cannot be undone: {count} later inspections of the same facilities "
                               "were recorded since; undo those first",
                               "Không thể hoàn tác lần tải {batch}: đã có {count} lần kiểm tra sau đó cho cùng các "
                               "thiết chế; hãy hoàn tác các lần đó trước."),
    "undo_inspections_unknown_before": ("load {batch} cannot be undone: it was loaded before undo was possible, the "
                                        "status {count} facilities had before it was not kept",
                                        "Không thể hoàn tác lần tải {batch}: lần tải này có trước khi có chức năng "
                                        "hoàn tác, tình trạng trước đó của {count} thiết chế không được lưu."),
    "undo_later_changes": ("load {batch} cannot be undone: {count} of its facilities were changed since "
                           "(later loads {later}); undo those first",
                           "Không thể hoàn tác lần tải {batch}: {count} thiết chế của lần tải này đã được thay đổi "
                           "sau đó (các lần tải sau: {later}); hãy hoàn tác các lần đó trước."),
    "undo_inspected": ("load {batch} cannot be undone: {count} inspections were recorded on its facilities since",
                       "Không thể hoàn tác lần tải {batch}: đã có {count} lần kiểm tra được ghi cho các thiết chế "
                       "của lần tải này."),
    "undo_referenced": ("load {batch} cannot be undone: its facilities are used elsewhere since ({what})",
                        "Không thể hoàn tác lần tải {batch}: các thiết chế của lần tải này đã được dùng ở nơi khác "
                        "({what})."),
    "file_missing": ("no such file", "không có tệp này."),
    "not_a_file": ("is not a file", "không phải là một tệp."),
    "file_empty": ("the file is empty", "Tệp trống."),
    "no_data_rows": ("has a header but no data rows", "Tệp chỉ có dòng tiêu đề, không có dòng dữ liệu nào."),
    "old_xls": ("old Excel .xls files are not read; save it as .xlsx or CSV and load that",
                "Tệp Excel cũ (.xls) không đọc được: hãy lưu thành .xlsx hoặc CSV rồi tải lên lại."),
    "file_unreadable": ("cannot be read as {kind}: its content does not match its extension",
                        "Không đọc được tệp: nội dung không đúng với đuôi tệp ({kind})."),
    "not_utf8": ("is not UTF-8 (byte {byte}): for an old Vietnamese file choose another encoding (cp1258), or "
                 "save it from Excel as 'CSV UTF-8'",
                 "Tệp không phải mã UTF-8 (byte {byte}): nếu là tệp tiếng Việt cũ mã Windows-1258, hãy chọn bảng "
                 "mã “Windows-1258”; tệp TCVN3/VNI hãy mở bằng Excel rồi lưu lại dưới dạng “CSV UTF-8”."),
    "unknown_encoding": ("unknown encoding {encoding} (try utf-8, utf-16 or cp1258)",
                         "bảng mã {encoding} không được hỗ trợ (hãy thử utf-8, utf-16 hoặc cp1258)."),
    "not_in_encoding": ("is not valid {encoding} (byte {byte} cannot be decoded)",
                        "không phải mã {encoding} hợp lệ (không giải mã được byte {byte})."),
    "binary_file": ("is a binary file, not CSV text", "Tệp không phải văn bản CSV."),
    "not_xlsx": ("is not an Excel .xlsx workbook", "Tệp không phải sổ tính Excel .xlsx."),
    "no_such_sheet": ("has no sheet '{sheet}'; its sheets are {sheets}",
                      "không có trang tính '{sheet}'; các trang tính là {sheets}."),
    "archive_no_table": ("the archive holds no .shp or .csv file", "Tệp nén không chứa tệp .shp hay .csv nào."),
    "json_invalid": ("is not valid JSON", "không phải JSON hợp lệ."),
    "no_such_layer": ("has no layer '{layer}'; its layers are {layers}",
                      "không có lớp '{layer}'; các lớp là {layers}."),
    "gis_unreadable": ("cannot be read as a GIS file", "không đọc được như một tệp GIS."),
    "file_too_large": ("{size} is over the {limit} limit; split the file",
                       "{size}, vượt giới hạn {limit}; hãy chia nhỏ tệp."),
    "archive_too_many_files": ("refused, the archive holds {count} files (limit {maximum})",
                               "tệp nén chứa {count} tệp, vượt giới hạn {maximum} tệp."),
    "archive_entry_bomb": ("refused, entry '{entry}' inflates {count} times (limit {maximum}): a zip bomb?",
                           "phần '{entry}' giải nén ra gấp {count} lần, vượt giới hạn {maximum} lần."),
    "archive_too_large": ("refused, the archive inflates to {size} (limit {limit})",
                          "giải nén ra {size}, vượt giới hạn {limit}."),
    "table_too_large": ("{count} rows x {total} columns is over the limit of {maximum} cells and {outside} columns",
                        "{count} dòng x {total} cột, vượt giới hạn {maximum} ô và {outside} cột."),
    "inspection_columns_missing": ("has no column for {columns}; its headers are {headers}",
                                   "không có cột {columns}; các tiêu đề của tệp là {headers}."),
    "not_zip": ("is not a zip archive", "không phải tệp nén zip."),
    "archive_entry_outside": ("refused, the archive entry '{entry}' points outside the archive",
                              "bị từ chối: phần '{entry}' trong tệp nén trỏ ra ngoài tệp nén."),
    # Whole-file refusals of the boundary, raster and coordinate loaders (etl/boundaries.py, population.py, coords.py).
    "boundary_level_unknown": ("cannot tell the level of these units from their fields",
                               "không xác định được cấp đơn vị hành chính từ các trường của tệp."),
    "boundary_fields_missing": ("fields {fields} not found; the file has {columns}",
                                "không tìm thấy trường {fields}; tệp có các trường {columns}."),
    "gis_no_features": ("holds no features", "không chứa đối tượng địa lý nào."),
    "boundaries_not_polygons": ("boundaries must be polygons, found {kinds}",
                                "ranh giới phải là vùng (đa giác), nhưng tệp có {kinds}."),
    "gis_no_crs": ("has no coordinate reference system", "không khai báo hệ tọa độ."),
    "boundary_version_unknown": ("version must be one of {versions}, not '{version}'",
                                 "phiên bản phải là một trong {versions}, không phải '{version}'."),
    "boundary_level_invalid": ("level '{level}' does not exist for version {version}",
                               "cấp '{level}' không có trong phiên bản {version}."),
    "raster_no_crs": ("the raster has no coordinate reference system", "tệp ảnh không khai báo hệ tọa độ."),
    "raster_unreadable": ("is not a readable raster", "không đọc được như một tệp ảnh GeoTIFF."),
    "raster_coverage_no_communes": ("no 2025 communes are loaded, so the raster's coverage cannot be checked",
                                    "chưa nạp danh sách xã, phường năm 2025 nên chưa kiểm tra được vùng phủ của "
                                    "tệp ảnh."),
    "raster_outside_communes": ("the raster (lon {lon}, lat {lat}) covers none of the loaded communes "
                                "(lon {lon2}, lat {lat2})",
                                "tệp ảnh (kinh độ {lon}, vĩ độ {lat}) không phủ xã, phường nào đã nạp "
                                "(kinh độ {lon2}, vĩ độ {lat2})."),
    "crs_not_epsg": ("crs '{crs}': give an EPSG code such as EPSG:9205",
                     "hệ tọa độ '{crs}': hãy ghi mã EPSG, ví dụ EPSG:9205."),
    "crs_unknown": ("crs '{crs}': EPSG:{epsg} is not a known coordinate system",
                    "hệ tọa độ '{crs}': EPSG:{epsg} không phải hệ tọa độ đã biết."),
    "vn2000_transformation_missing": ("EPSG:{epsg}: the EPSG:6960 transformation to WGS 84 is not available in PROJ",
                                      "EPSG:{epsg}: PROJ thiếu phép chuyển EPSG:6960 sang WGS 84."),
    "no_transformation": ("EPSG:{epsg}: no transformation to WGS 84 is available",
                          "EPSG:{epsg}: không có phép chuyển sang WGS 84."),
    "communes_not_loaded": ("no {version} communes are loaded", "chưa nạp danh sách xã, phường phiên bản {version}."),
    # Villages and census tables (etl/villages.py, etl/census.py).
    "village_name_column_missing": ("no column for the village name (such as 'Tên thôn'); the headers are {headers}",
                                    "không có cột tên thôn (ví dụ 'Tên thôn'); các tiêu đề của tệp là {headers}."),
    "village_geometry_kinds": ("villages are points or polygons, but the file holds {kinds} geometries",
                               "thôn phải là điểm hoặc vùng, nhưng tệp có hình {kinds}."),
    "village_no_position": ("no geometry and no 'Kinh độ'/'Vĩ độ' columns",
                            "không có hình học, cũng không có cột 'Kinh độ'/'Vĩ độ'."),
    "csv_unreadable": ("not a readable UTF-8 CSV file", "không đọc được như một tệp CSV mã UTF-8."),
    "csv_columns_missing": ("missing column(s) {columns}; found {headers}",
                            "thiếu cột {columns}; tệp có cột {headers}."),
    "census_population_invalid": ("row {row}, field 'population': '{value}' is not a number of people",
                                  "dòng {row}, trường 'population': '{value}' không phải là số người."),
    # Facility surveys as a whole (etl/facilities/).
    "facility_type_column_missing": ("no column for the facility type (such as 'Loại thiết chế'); the headers are "
                                     "{headers}",
                                     "không có cột loại thiết chế (ví dụ 'Loại thiết chế'); các tiêu đề của tệp là "
                                     "{headers}."),
    "facility_coordinates_missing": ("no coordinate columns (such as 'Kinh độ' and 'Vĩ độ', or X and Y); the headers "
                                     "are {headers}",
                                     "không có cột tọa độ (ví dụ 'Kinh độ' và 'Vĩ độ', hoặc X và Y); các tiêu đề "
                                     "của tệp là {headers}."),
    "facility_geometry_kinds": ("facilities must be points, but the file holds {kinds} geometries",
                                "thiết chế phải là điểm, nhưng tệp có hình {kinds}."),
    "crs_no_epsg": ("its coordinate system ({crs}) has no EPSG code", "hệ tọa độ của tệp ({crs}) không có mã EPSG."),
    "coordinates_projected": ("the coordinates look projected (e.g. {sample}), not degrees: give the VN-2000 system "
                              "they are in, likely {zones}",
                              "tọa độ có vẻ là tọa độ phẳng (ví dụ {sample}), không phải độ: hãy chọn hệ VN-2000 "
                              "của tệp, có thể là {zones}."),
    # Citizen reports and commune groups as a whole (etl/feedback_import.py, etl/commune_groups.py).
    "feedback_channel_unknown": ("channel '{given}' is not one of {choices}",
                                 "kênh tiếp nhận '{given}' không phải một trong: {choices}."),
    "feedback_columns_missing": ("no column for {columns}", "không có cột {columns}."),
    "commune_group_columns_missing": ("no column for {columns} among the headers {headers}",
                                      "không có cột {columns}; các tiêu đề của tệp là {headers}."),
    # Word mapping files (etl/vocabulary.py).
    "mapping_section_invalid": ("section '{section}' must map codes to lists of words",
                                "mục '{section}' phải ghi mỗi mã với một danh sách từ."),
    "mapping_columns_invalid": ("'columns' must map a file's header to a field name",
                                "mục 'columns' phải ghi tiêu đề cột của tệp với tên trường."),
    "mapping_column_target_unknown": ("column '{header}' maps to '{target}', which is not one of {targets}",
                                      "cột '{header}' được ghi là '{target}', không phải một trong: {targets}."),
    "mapping_file_missing": ("no such mapping file", "không có tệp ánh xạ từ ngữ này."),
    "mapping_unreadable": ("is not a readable YAML mapping file", "không đọc được như một tệp ánh xạ YAML."),
    "mapping_not_sections": ("a mapping file holds sections such as 'columns:' and 'types:'",
                             "tệp ánh xạ từ ngữ phải gồm các mục như 'columns:' và 'types:'."),
    "mapping_sections_unknown": ("unknown section(s) {sections}; expected {expected}",
                                 "mục không hợp lệ: {sections}; chỉ nhận {expected}."),
    # Cells (etl/validate.py): counts, amounts, years, coordinates, geopoints, dates.
    "count_not_number": ("is not a number (expected a whole number such as 2)",
                         "không phải là số (cần một số nguyên, ví dụ 2)"),
    "count_not_whole": ("is not a whole number", "không phải là số nguyên"),
    "count_negative": ("is negative (expected 0 or more)", "là số âm (cần từ 0 trở lên)"),
    "count_too_large": ("is implausibly large (more than {maximum}); a typo?",
                        "lớn bất thường (quá {maximum}); có gõ nhầm không?"),
    "amount_not_number": ("is not a number (expected {unit}, such as 30 or 30.5)",
                          "không phải là số (cần một số tính bằng {unit}, ví dụ 30 hoặc 30,5)"),
    "amount_not_finite": ("is not a finite number of {unit}", "không phải là một số hữu hạn tính bằng {unit}"),
    "amount_negative": ("is negative (expected 0 or more {unit})", "là số âm (cần từ 0 {unit} trở lên)"),
    "amount_too_large": ("is implausibly large (more than {maximum} {unit}); a typo?",
                         "lớn bất thường (quá {maximum} {unit}); có gõ nhầm không?"),
    "year_not_year": ("is not a year (expected four digits such as 2019)",
                      "không phải là năm (cần bốn chữ số, ví dụ 2019)"),
    "year_in_future": ("is in the future (this is {this_year})", "là năm trong tương lai (năm nay là {this_year})"),
    "year_too_early": ("is before {earliest}", "sớm hơn năm {earliest}"),
    "coordinate_not_finite": ("is not a finite number (NaN or infinity)",
                              "không phải là số hữu hạn (NaN hoặc vô cực)"),
    "coordinate_commas": (
        "is not a number (use a dot: {fixed}); expected decimal degrees such as 106.7 or " + _COORDINATE_EXAMPLE,
        "không phải là số (hãy dùng dấu chấm: {fixed}); cần tọa độ theo độ thập phân, ví dụ 106.7 hoặc "
        + _COORDINATE_EXAMPLE),
    "coordinate_not_number": (
        "is not a number; expected decimal degrees such as 106.7 or " + _COORDINATE_EXAMPLE,
        "không phải là số; cần tọa độ theo độ thập phân, ví dụ 106.7 hoặc " + _COORDINATE_EXAMPLE),
    "coordinates_missing": ("is empty: missing coordinates", "bỏ trống: thiếu tọa độ"),
    "geopoint_invalid": ("is not a geopoint (expected 'latitude longitude altitude accuracy')",
                         "không phải là vị trí GPS (cần dạng 'vĩ độ kinh độ độ cao độ chính xác')"),
    "date_invalid": ("is not a date (expected 26/11/2026 or 2026-11-26T08:30:00+07:00)",
                     "không phải là ngày (cần dạng 26/11/2026 hoặc 2026-11-26T08:30:00+07:00)"),
    "date_in_future": ("is in the future", "là thời điểm trong tương lai"),
    # Statuses (issue 15), shared by facility surveys and inspections.
    "unknown_status": ("is not a known status ({accepted})", "không phải là tình trạng đã biết ({accepted})"),
    "doubtful_status": (
        "is not a known status (unknown_status: a doubtful answer is not a fact); accepted: {accepted}; "
        "--doubtful-as unknown loads it as Chưa rõ (unknown)",
        "là tình trạng chưa chắc chắn, không thể coi là sự thật; chỉ nhận: {accepted}; có thể nạp với tình trạng "
        "Chưa rõ (chọn nạp tình trạng chưa chắc chắn là Chưa rõ)"),
    "doubtful_status_kept": (
        "is a doubtful status (unknown_status): loaded as Chưa rõ (unknown), counted as not working and listed "
        "for inspection",
        "là tình trạng chưa chắc chắn: đã nạp với tình trạng Chưa rõ, coi như không hoạt động và đưa vào danh sách "
        "cần kiểm tra"),
    # Facility surveys (etl/facilities/).
    "unknown_facility_type": (
        "is not a known facility type (such as {examples}); add the word to a --mapping file if it is one",
        "không phải là loại thiết chế đã biết (ví dụ {examples}); nếu đúng là một loại thiết chế, hãy thêm từ "
        "này vào tệp ánh xạ từ ngữ"),
    "unknown_technology": ("is not a known technology ({accepted}); stored without one",
                           "không phải là công nghệ đã biết ({accepted}); vẫn lưu thiết chế, để trống công nghệ"),
    "not_a_facility_row": (
        "skipped: no type, id or coordinates (a total, a signature or a note, not a facility)",
        "bỏ qua: không có loại thiết chế, mã hay tọa độ (là dòng tổng cộng, chữ ký hoặc ghi chú, không phải "
        "thiết chế)"),
    "type_empty": ("is empty: every facility needs a type", "bỏ trống: thiết chế nào cũng phải có loại thiết chế"),
    "status_empty": ("is empty; stored as Hoạt động (operational)", "bỏ trống; lưu với tình trạng Hoạt động"),
    "repeated_id": ("repeats the id of row {first_row} (the later row is rejected)",
                    "trùng mã với dòng {first_row} (dòng sau bị loại)"),
    "no_coordinates": ("has no coordinates", "không có tọa độ"),
    "xy_gis_order": ("has X and Y the GIS way round (X is the northing in VN-2000); read as Y, X",
                     "X và Y ghi theo thứ tự của phần mềm GIS (theo VN-2000, X là tọa độ hướng bắc); đã đọc đảo "
                     "lại thành Y, X"),
    "crs_not_convertible": ("cannot be converted from EPSG:{epsg} to WGS 84 (is --crs right?)",
                            "không chuyển được từ EPSG:{epsg} sang WGS 84 (hệ tọa độ đã chọn có đúng không?)"),
    "point_outside_vn": (f"{_POINT_EN} is outside Viet Nam; check the coordinates and --crs",
                         f"{_POINT_VI} nằm ngoài Việt Nam; hãy kiểm tra tọa độ và hệ tọa độ đã chọn"),
    "point_in_no_commune": (
        f"{_POINT_EN} lies inside no loaded commune (load the province's 2025 communes, or check the coordinates)",
        f"{_POINT_VI} không nằm trong xã, phường nào đã nạp (hãy nạp danh sách xã, phường năm 2025 của tỉnh, "
        "hoặc kiểm tra tọa độ)"),
    "commune_not_at_point": (
        "is not the commune the point lies in ({name}, code {code}); the location decides: stored in {name}",
        "không phải xã, phường nơi điểm nằm ({name}, mã {code}); theo vị trí, thiết chế được lưu vào {name}"),
    "swap_suspected": (f"{_POINT_EN} is outside Viet Nam; were lat/lon swapped?",
                       f"{_POINT_VI} nằm ngoài Việt Nam; kinh độ và vĩ độ có bị đảo không?"),
    "swap_elsewhere": (
        f"{_POINT_EN} is outside Viet Nam; were lat/lon swapped? (swapped it would lie in {{name}}, not the row's "
        "declared place)",
        f"{_POINT_VI} nằm ngoài Việt Nam; kinh độ và vĩ độ có bị đảo không? (nếu đảo lại, điểm nằm ở {{name}}, "
        "không phải nơi dòng này khai báo)"),
    "swap_confirmed": (
        f"{_POINT_EN}: longitude and latitude were swapped; read as lon {{lon2}}, lat {{lat2}}, which lies in "
        "{name}, the row's own commune or province",
        f"{_POINT_VI}: kinh độ và vĩ độ bị đảo; đã đọc thành kinh độ {{lon2}}, vĩ độ {{lat2}}, nằm ở {{name}}, "
        "đúng xã hoặc tỉnh dòng này khai báo"),
    # Administrative boundaries (etl/boundaries.py): ``row`` is the feature number, as QGIS counts them.
    "boundary_no_code": ("no code in field '{field}' (name='{name}')",
                         "không có mã ở trường '{field}' (tên='{name}')"),
    "boundary_no_name": ("code '{code}' has no name in field '{field}'; stored as '{stored}'",
                         "mã '{code}' không có tên ở trường '{field}'; lưu với tên '{stored}'"),
    "boundary_repeated_code": ("code '{code}' repeats feature {first}", "mã '{code}' trùng với đối tượng {first}"),
    "boundary_no_geometry": ("code '{code}' has no usable polygon geometry",
                             "mã '{code}' không có vùng (đa giác) dùng được"),
    # Villages (etl/villages.py).
    "no_geometry": ("has no geometry", "không có vị trí (điểm hoặc vùng)"),
    "village_total": ("skipped: a total, not a village", "bỏ qua: dòng tổng cộng, không phải thôn"),
    "village_name_empty": ("is empty: every village needs a name", "bỏ trống: thôn nào cũng phải có tên"),
    "village_outside_vn": (f"{_POINT_EN} is outside Viet Nam", f"{_POINT_VI} nằm ngoài Việt Nam"),
    "village_in_no_commune": (
        "'{name}' at (lon {lon}, lat {lat}) lies inside no loaded commune (load its 2025 communes, or check the "
        "location)",
        "thôn '{name}' tại (kinh độ {lon}, vĩ độ {lat}) không nằm trong xã, phường nào đã nạp (hãy nạp danh sách "
        "xã, phường năm 2025 nơi đó, hoặc kiểm tra vị trí)"),
    # Inspections (etl/inspections.py).
    "inspected_facility_empty": ("is empty: which facility was inspected?",
                                 "bỏ trống: cần mã của thiết chế được kiểm tra"),
    "repeated_submission": ("repeats the submission of row {first_row}: skipped",
                            "trùng bản gửi của dòng {first_row}: bỏ qua"),
    "inspection_date_empty": ("is empty: when was the facility inspected?", "bỏ trống: cần ngày kiểm tra thiết chế"),
    # Photos attached to Kobo/ODK exports (etl/inspection_media.py): the inspection is kept without its photo.
    "photo_not_in_archive": ("is not in the archive; the inspection is kept without its photo",
                             "không có trong tệp nén; kết quả kiểm tra vẫn được giữ, không kèm ảnh"),
    "photo_not_image": ("is not a JPEG or PNG photo; the inspection is kept without it",
                        "không phải ảnh JPEG hoặc PNG; kết quả kiểm tra vẫn được giữ, không kèm ảnh"),
    "photo_damaged": ("is a damaged photo; the inspection is kept without it",
                      "là ảnh bị hỏng; kết quả kiểm tra vẫn được giữ, không kèm ảnh"),
    "gps_unreadable_kept": ("{inner}; the inspection is kept without its position",
                            "{inner}; vẫn ghi nhận lần kiểm tra, không kèm vị trí"),
    "gps_outside_vn_kept": ("is outside Viet Nam; kept without its position",
                            "nằm ngoài Việt Nam; vẫn ghi nhận, không kèm vị trí"),
    "facility_unknown": ("is not the id of any loaded facility", "không phải mã của thiết chế nào đã nạp"),
    "submission_loaded_before": ("was loaded before: skipped", "đã nạp trước đây: bỏ qua"),
    "facility_outside_scope": ("is a facility of {commune}, outside the communes you inspect",
                               "là thiết chế của {commune}, ngoài các xã bạn phụ trách kiểm tra"),
    # Citizen reports (etl/feedback_import.py, etl/feedback.py).
    "received_date_empty": ("is empty (expected the date the report was received, such as 26/11/2026)",
                            "bỏ trống (cần ngày tiếp nhận phản ánh, ví dụ 26/11/2026)"),
    "choice_empty": ("is empty (expected one of {choices})", "bỏ trống (cần một trong các giá trị: {choices})"),
    "choice_unknown": ("is not a known {what} (expected one of {choices})",
                       "không phải là {what} đã biết (cần một trong các giá trị: {choices})"),
    "report_text_empty": ("is empty (expected what the citizen reported)",
                          "bỏ trống (cần nội dung người dân phản ánh)"),
    "answer_missing": ("says the report was answered, but the answer or its date is missing",
                       "ghi là phản ánh đã được trả lời, nhưng thiếu nội dung trả lời hoặc ngày trả lời"),
    "answered_before_received": ("is before the report was received ({received})",
                                 "trước ngày tiếp nhận phản ánh ({received})"),
    "report_facility_unknown": ("is not the id of a loaded facility (expected its code, such as DB-LOA-001)",
                                "không phải mã của thiết chế nào đã nạp (cần mã thiết chế, ví dụ DB-LOA-001)"),
    "report_without_place": ("is empty and the row has no coordinates or facility to place it",
                             "bỏ trống, và dòng này không có tọa độ hay thiết chế để xác định vị trí"),
    "report_commune_unknown": (
        "is not a loaded 2025 commune (expected its code or its name, such as Mường Nhé)",
        "không phải là xã, phường năm 2025 đã nạp (cần mã hoặc tên xã, ví dụ Mường Nhé)"),
    "report_commune_ambiguous": ("names {count} communes ({codes}); give the code",
                                 "khớp với {count} xã ({codes}); hãy ghi mã xã"),
    "report_point_in_no_commune": (
        "the point (lon {lon}, lat {lat}) is in no loaded commune; were longitude and latitude swapped?",
        "điểm (kinh độ {lon}, vĩ độ {lat}) không thuộc xã nào đã nạp; kinh độ và vĩ độ có bị đảo không?"),
    "report_no_such_facility": ("no facility with id {id}", "không có thiết chế mã {id}"),
    "report_no_such_commune": ("no 2025 commune with code {commune_code}", "không có xã năm 2025 mã {commune_code}"),
    "report_commune_differs": ("commune {given} given, but the point lies in {code} {name}: point used",
                               "ghi xã {given}, nhưng điểm nằm ở {code} {name}: lấy theo điểm"),
    "received_in_future": ("the received date is in the future", "ngày tiếp nhận ở tương lai"),
    "coordinates_half": ("give both longitude and latitude, or neither",
                         "cần cả kinh độ và vĩ độ, hoặc bỏ trống cả hai"),
    "report_needs_place": ("a report needs a place: a point, a commune or a facility",
                           "phản ánh cần có địa điểm: một điểm, một xã hoặc một thiết chế"),
    # Commune groups (etl/commune_groups.py).
    "group_commune_unknown": ("is not a 2025 commune code loaded (5 digits, QĐ 19/2025/QĐ-TTg)",
                              "không phải mã xã, phường năm 2025 đã nạp (5 chữ số, QĐ 19/2025/QĐ-TTg)"),
    "group_invalid": ("is not a commune group (1, 2 or 3; 'Nhóm 1' is read too)",
                      "không phải nhóm xã (1, 2 hoặc 3; ghi 'Nhóm 1' cũng được)"),
    "value_empty": ("is empty", "bỏ trống"),
    "group_commune_repeated": ("appears twice; the later row is kept", "xuất hiện hai lần; lấy dòng sau"),
    # Population rasters (etl/population.py): about the whole file, shown on its first row.
    "raster_no_nodata": ("the raster declares no nodata value; negative cells are treated as missing",
                         "tệp ảnh không khai báo giá trị trống (nodata); ô âm được coi là thiếu số liệu"),
    "raster_negative_cells": ("{count} cells are negative: treated as missing",
                              "{count} ô có giá trị âm: coi là thiếu số liệu"),
    "raster_partial_cover": (
        "the raster covers {outside} of {total} loaded communes only partly or not at all: {communes}",
        "tệp ảnh chỉ phủ một phần hoặc không phủ {outside} trong {total} xã, phường đã nạp: {communes}"),
    # A typed row's own checks (pydantic: etl/models.py, FeedbackIn), reached by --mapping codes or limits.
    "coordinate_infinite": ("coordinate must be finite", "tọa độ phải là số hữu hạn"),
    "below_minimum": ("Input should be greater than or equal to {limit}", "phải lớn hơn hoặc bằng {limit}"),
    "above_maximum": ("Input should be less than or equal to {limit}", "phải nhỏ hơn hoặc bằng {limit}"),
    "not_one_of": ("Input should be {choices}", "phải là một trong các mã {choices}"),
    "too_long": ("String should have at most {limit} characters", "dài quá {limit} ký tự"),
    "invalid_value": ("is not a valid {kind} value", "không phải là giá trị hợp lệ ({kind})"),
}

# Values said in Vietnamese (units of amounts, feedback fields, feedback codes), by the value as the ETL keeps it.
_VI_WORDS = {"watts": "W", "metres": "mét", "channel": "kênh tiếp nhận", "category": "loại phản ánh",
             "status": "trạng thái"}
# The fields a loader names itself (a file's own headers are shown as the file writes them).
_LOADER_FIELDS = {"geometry": "Vị trí (hình học)", "gps": "Vị trí GPS", "commune": "Xã, phường"}
_SAID_IN_VI = ("unit", "what", "choices")
_COUNTS = ("maximum", "count", "outside", "total")  # values written with grouped thousands (ids, years are not)
_VI_LABELS: dict[str, str] = {}  # feedback codes -> Vietnamese labels (filled by etl/feedback.py at import)


def user_lang() -> str:
    """The CLI's language: PHUSONG_LANG (vi or en); English when unset, as the CLI has always written."""
    lang = os.environ.get("PHUSONG_LANG", "en").strip().lower()[:2]
    return lang if lang in LANGUAGES else "en"


def placeholders(code: str) -> set[str]:
    """The names of the values both templates of ``code`` use."""
    return {name for template in MESSAGES[code] for _, name, _, _ in string.Formatter().parse(template) if name}


def render(code: str, values: Mapping[str, Any] | None = None, lang: str = "en") -> str:
    """The reason ``code`` in ``lang`` with its ``values`` (a code without a template says so, in English)."""
    values = dict(values or {})
    pair = MESSAGES.get(code)
    if pair is None:
        return f"[{code}] " + ", ".join(f"{k}={v}" for k, v in values.items())
    template = pair[1] if lang == "vi" else pair[0]
    if "inner" in placeholders(code):
        inner = values.pop("inner", "")
        values["inner"] = render(str(inner), values, lang)
    shown = {name: _shown(name, value, lang) for name, value in values.items()}
    return template.format_map(_Missing(shown))


def field_text(field: str, lang: str = "en") -> str:
    """A row issue's field: a header of the user's file as written, a field the loader names in ``lang``."""
    return _LOADER_FIELDS.get(field, field) if lang == "vi" else field


def format_int(value: int | float, lang: str) -> str:
    """A whole number the way ``lang`` groups thousands: 10,000 (en), 10.000 (vi, GLOSSARY.md)."""
    grouped = f"{round(value):,}"
    return grouped.replace(",", ".") if lang == "vi" else grouped


def _shown(name: str, value: Any, lang: str) -> str:
    if name == "inner":
        return str(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format_int(value, lang) if name in _COUNTS else str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_word(name, str(v), lang) for v in value)
    return _word(name, str(value), lang)


def _word(name: str, text: str, lang: str) -> str:
    """A unit, a feedback field or one of its codes in Vietnamese (other values are shown as written)."""
    if lang != "vi" or name not in _SAID_IN_VI:
        return text
    return _VI_WORDS.get(text) or _VI_LABELS.get(text) or text


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def pydantic_reason(error: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The code and values of a typed row's own check (one error of pydantic's ``ValidationError.errors()``)."""
    from etl.errors import CellRefused

    kind, ctx = str(error.get("type", "")), dict(error.get("ctx") or {})
    inner = ctx.get("error")
    if isinstance(inner, CellRefused):
        return inner.code, dict(inner.values)
    if kind == "greater_than_equal":
        return "below_minimum", {"limit": ctx.get("ge")}
    if kind == "less_than_equal":
        return "above_maximum", {"limit": ctx.get("le")}
    if kind == "literal_error":
        return "not_one_of", {"choices": re.findall(r"'([^']*)'", str(ctx.get("expected", "")))}
    if kind == "string_too_long":
        return "too_long", {"limit": ctx.get("max_length")}
    return "invalid_value", {"kind": kind or "value"}


def register_labels(labels: Mapping[str, str]) -> None:
    """Vietnamese labels of codes a loader accepts (feedback channels, categories, statuses)."""
    _VI_LABELS.update(labels)

