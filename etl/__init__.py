"""Loading real files into phusong: readers per format, validation, CRS handling, admin matching, bulk load."""
