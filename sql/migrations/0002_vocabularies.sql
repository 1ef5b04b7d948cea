-- Checked vocabularies (GLOSSARY.md). Facility rows reference these codes, so a typo can never reach the table,
-- and the app and exports read the Vietnamese and English labels from one place.
CREATE TABLE IF NOT EXISTS facility_type (
    code      text PRIMARY KEY,
    label_vi  text NOT NULL,
    label_en  text NOT NULL,
    is_radio  boolean NOT NULL DEFAULT false   -- takes part in loudspeaker coverage / criterion 8.3
);
INSERT INTO facility_type (code, label_vi, label_en, is_radio) VALUES
    ('commune_radio_station',  'Đài truyền thanh cấp xã',                 'Commune radio station',            true),
    ('loudspeaker_cluster',    'Cụm loa truyền thanh',                    'Loudspeaker cluster',              true),
    ('district_radio_tv',      'Đài Truyền thanh - Truyền hình cấp huyện', 'District radio-TV station',        true),
    ('mobile_propaganda_team', 'Đội tuyên truyền lưu động',               'Mobile propaganda team',           false),
    ('post_culture_point',     'Điểm Bưu điện - Văn hóa xã',              'Post-office cultural point',       false),
    ('legal_bookcase',         'Tủ sách pháp luật',                       'Legal bookcase',                   false),
    ('community_info_cluster', 'Cụm thông tin cơ sở',                     'Community information cluster',    false),
    ('cultural_house',         'Nhà văn hóa',                             'Cultural house',                   false),
    ('learning_centre',        'Trung tâm học tập cộng đồng',             'Community learning centre',        false),
    ('library',                'Thư viện',                                'Library',                          false),
    ('e_bulletin_board',       'Bảng tin điện tử công cộng',              'Public electronic bulletin board', false)
ON CONFLICT (code) DO UPDATE SET label_vi = EXCLUDED.label_vi, label_en = EXCLUDED.label_en,
                                 is_radio = EXCLUDED.is_radio;

CREATE TABLE IF NOT EXISTS technology (
    code     text PRIMARY KEY,
    label_vi text NOT NULL,
    label_en text NOT NULL
);
INSERT INTO technology (code, label_vi, label_en) VALUES
    ('wired',       'Có dây',                   'Wired'),
    ('fm_wireless', 'Không dây (FM)',           'FM wireless'),
    ('ip',          'Ứng dụng CNTT-VT (IP)',    'IP (ICT-based)')
ON CONFLICT (code) DO UPDATE SET label_vi = EXCLUDED.label_vi, label_en = EXCLUDED.label_en;

CREATE TABLE IF NOT EXISTS facility_status (
    code       text PRIMARY KEY,
    label_vi   text NOT NULL,
    label_en   text NOT NULL,
    is_working boolean NOT NULL   -- "working" = operational or degraded (issue 4)
);
INSERT INTO facility_status (code, label_vi, label_en, is_working) VALUES
    ('operational',    'Hoạt động',   'Operational',    true),
    ('degraded',       'Xuống cấp',   'Degraded',       true),
    ('broken',         'Hư hỏng',     'Broken',         false),
    ('decommissioned', 'Đã thanh lý', 'Decommissioned', false),
    ('planned',        'Dự kiến',     'Planned',        false)
ON CONFLICT (code) DO UPDATE SET label_vi = EXCLUDED.label_vi, label_en = EXCLUDED.label_en,
                                 is_working = EXCLUDED.is_working;
