"""Outputs: what the product hands to people (consolidated, feedback and template workbooks,
charts, report text)."""


def a4_print(sheet, first_title_row: int, last_title_row: int | None = None, orientation: str = "portrait") -> None:
    """Print setup shared by every workbook the product writes: A4, fitted to the page width (as
    many pages down as needed), the header rows repeated on each page."""
    sheet.print_title_rows = f"{first_title_row}:{last_title_row or first_title_row}"
    sheet.page_setup.orientation = orientation
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
