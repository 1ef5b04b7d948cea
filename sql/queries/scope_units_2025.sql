-- The 2025 provinces and communes an administrator may give a user as scope (issue 21's picker by name):
-- provinces first, then communes, each by name; the folded name lets the picker match "muong nhe".
SELECT level, code, name, name_folded, province_code
  FROM admin_unit
 WHERE version = '2025' AND level IN ('province', 'commune')
 ORDER BY level DESC, name, code;
