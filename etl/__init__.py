"""Loading real files into phusong: readers, validation, CRS handling, admin matching, bulk load."""
