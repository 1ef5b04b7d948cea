SELECT code, name, province_code FROM commune WHERE code = :code
