"""The yearly export of assistance results (workbook, CSV) and the printable yearly report."""
