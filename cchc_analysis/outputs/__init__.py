"""Outputs: what the product hands to people (consolidated, feedback and template workbooks,
charts, report text)."""


#: page margins in inches (left, right, top, bottom): a portrait page as Decree 30/2020/NĐ-CP sets
#: an administrative document (left 30 mm, right 15 mm, top and bottom 20 mm); a landscape table
#: of the analysts' sheets with narrow margins, so that it prints at a readable scale
MARGINS = {"portrait": (1.18, 0.59, 0.79, 0.79), "landscape": (0.5, 0.4, 0.6, 0.6)}


def a4_print(sheet, first_title_row: int, last_title_row: int | None = None, orientation: str = "portrait") -> None:
    """Print setup shared by every workbook the product writes: A4, fitted to the page width (as
    many pages down as needed), the header rows repeated on each page, the margins of
    :data:`MARGINS`, the page number in the footer. The columns of each sheet are sized so that
    the fit keeps the text readable (about 90 % of its size or more); the rows and the print area
    are set by :func:`cchc_analysis.outputs.layout.finish` before the workbook is saved."""
    sheet.print_title_rows = f"{first_title_row}:{last_title_row or first_title_row}"
    sheet.page_setup.orientation = orientation
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    left, right, top, bottom = MARGINS.get(orientation, MARGINS["portrait"])
    margins = sheet.page_margins
    margins.left, margins.right, margins.top, margins.bottom = left, right, top, bottom
    margins.header = margins.footer = 0.3
    if not sheet.oddFooter.center.text:
        sheet.oddFooter.center.text = "Trang &P/&N"
