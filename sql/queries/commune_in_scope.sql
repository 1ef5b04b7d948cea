SELECT commune_in_scope(:code, CAST(:scope_codes AS text[]))
