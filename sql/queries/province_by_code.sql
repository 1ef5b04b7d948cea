SELECT code, name FROM admin_unit WHERE version = '2025' AND level = 'province' AND code = :code
