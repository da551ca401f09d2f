"""Tables in and out: Excel (.xlsx) and CSV, chosen by the file's extension.

Safety officers keep their ledgers and rosters in Excel, and Chinese Excel saves CSV
in GB18030 unless told otherwise, so CSV is read as UTF-8 (with or without BOM) and
then GB18030, and written as UTF-8 with a BOM so Excel opens it right. Writing
streams row by row (openpyxl write-only mode): memory stays flat however many rows.

Text in the ledger comes from anyone with a QR code, so an export never lets it act
as a formula (OWASP "CSV injection"): in .xlsx such text is stored as a string cell
marked as quoted (Excel's leading apostrophe, kept when the cell is edited), in CSV it
is prefixed with an apostrophe, which reading strips again. Control characters that a
worksheet cannot hold are dropped. Every workbook the service writes is written by
`Sheet`: nothing else makes one."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Iterable, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMATS = (".xlsx", ".csv")
# what spreadsheet programs read as the start of a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class TableError(Exception):
    """The file cannot be read or written as a table; str() is one line."""


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"第 {self.row} 行 [{self.column}]: {self.problem}"


class ImportRefused(Exception):
    """Some rows are bad; nothing was imported."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s); nothing imported")
        self.problems = problems


@dataclass
class Row:
    number: int  # as the user sees it in Excel (the header is row 1 unless a title block is above it)
    values: dict[str, Any]


@dataclass
class Table:
    headers: list[str]
    rows: list[Row]


def table_format(path: Path | str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise TableError(f"{Path(path).name}: 只支持 .xlsx 和 .csv 文件 / use an .xlsx or .csv file")
    return suffix


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if value[:1] == "'" and value[1:2] and value[1] in FORMULA_STARTS:
            value = value[1:]  # our own CSV export's guard against formulas
        return value or None
    return value


def read_table(path: Path | str) -> Table:
    """The first sheet (or the CSV) as a header row and the non-empty rows below it."""
    path = Path(path)
    fmt = table_format(path)
    if not path.is_file():
        raise TableError(f"{path}: 文件不存在 / no such file")
    raw_rows = _read_xlsx(path) if fmt == ".xlsx" else _read_csv(path)
    if not raw_rows:
        raise TableError(f"{path.name}: 文件是空的 / the file is empty")
    start = _header_row(raw_rows)
    headers = [str(h).strip() if h is not None else "" for h in raw_rows[start]]
    rows = []
    for index, raw in enumerate(raw_rows[start + 1:], start=start + 2):
        values = {header: _clean(value) for header, value in zip(headers, raw, strict=False) if header}
        if any(value is not None for value in values.values()):
            rows.append(Row(index, values))
    return Table(headers=[h for h in headers if h], rows=rows)


def _header_row(raw_rows: list[tuple]) -> int:
    """The header row: the first with two or more filled cells. Ledgers kept in Excel
    (ours included) often open with a title block of one merged cell a line above it."""
    for index, raw in enumerate(raw_rows[:20]):
        if sum(1 for value in raw if value not in (None, "")) >= 2:
            return index
    return 0


def _read_xlsx(path: Path) -> list[tuple]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise TableError(f"{path.name}: 不是有效的 Excel 文件 / not a readable .xlsx file ({type(error).__name__})") from None
    try:
        return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def _read_csv(path: Path) -> list[tuple]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise TableError(f"{path.name}: 无法识别的编码 / unknown text encoding")
    try:
        return [tuple(row) for row in csv.reader(io.StringIO(text))]
    except csv.Error as error:
        raise TableError(f"{path.name}: CSV 格式错误 / malformed CSV: {error}") from None


@dataclass
class Column:
    header: str
    width: float = 14
    kind: str = "text"  # text | date | datetime | number | integer


def write_table(target: Path | str | IO[bytes], fmt: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]],
                title: str = "Sheet1", heading: Sequence[str] = ()) -> None:
    """Stream `rows` into an .xlsx or .csv file (or binary stream) under `columns`.
    `heading`: lines above the header row of a workbook (its title block; the first
    line is the title); a CSV stays a plain table for programs to read."""
    if fmt == ".csv":
        _write_csv(target, columns, rows)
    elif fmt == ".xlsx":
        _write_xlsx(target, columns, rows, title, heading)
    else:
        raise TableError(f"unknown format {fmt!r}")


def _safe_text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _csv_value(value: Any) -> Any:
    if isinstance(value, str):
        value = _safe_text(value)
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return ""
    return value


def _write_csv(target, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> None:
    handle = open(target, "wb") if isinstance(target, (str, Path)) else target
    try:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="", write_through=True)
        writer = csv.writer(text)
        writer.writerow([c.header for c in columns])
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])
        text.flush()
        text.detach()
    finally:
        if isinstance(target, (str, Path)):
            handle.close()


NUMBER_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "number": "#,##0.00", "integer": "0"}


class Sheet:
    """The one writer of every workbook the service makes (the ledger, the awards for
    the finance office, the statutory statistics): one sheet, streamed row by row
    (write-only), and every value through `_xlsx_value`, so that no text ever becomes a
    formula. `table`: a header row (below `heading_rows` lines of title block) that
    stays in view and is printed on every page.

    Every sheet prints on A4 landscape, one page wide and as many pages tall as it takes
    (fitToPage must be set, or Excel and LibreOffice ignore fitToWidth), with narrow
    margins, centred, and page numbers in the footer."""

    def __init__(self, title: str, widths: Sequence[float], *, table: bool = False, heading_rows: int = 0):
        self._book = Workbook(write_only=True)
        self._sheet = sheet = self._book.create_sheet(title=title[:31])
        self._rows = 0
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        if table:
            header = heading_rows + 1
            sheet.freeze_panes = f"A{header + 1}"
            sheet.print_options.gridLines = True
            sheet.print_title_rows = f"{header}:{header}"
        sheet.page_setup.paperSize = "9"  # A4
        sheet.page_setup.orientation = "landscape"
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.page_margins.left = sheet.page_margins.right = 0.4
        sheet.page_margins.top = sheet.page_margins.bottom = 0.6
        sheet.print_options.horizontalCentered = True
        sheet.oddFooter.center.text = "&P / &N"

    def append(self, values: Sequence[Any], number_formats: Sequence[str | None] | None = None, *,
               font: Font | None = None, alignment: Alignment | None = None,
               wrap_beyond: Sequence[float | None] | None = None) -> None:
        """One row; `number_formats` by column (None: as the value comes), `font` and
        `alignment` for every cell of the row; `wrap_beyond` by column: text wider than
        this wraps (only such cells are styled: plain cells are much faster to write)."""
        formats = number_formats or [None] * len(values)
        limits = wrap_beyond or [None] * len(values)
        self._rows += 1
        lines = [_lines(value, limit) if limit and isinstance(value, str) else 1 for value, limit in zip(values, limits)]
        if max(lines, default=1) > 1:  # a wrapped row is as tall as its text: no spreadsheet measures it on opening
            self._sheet.row_dimensions[self._rows].height = LINE_HEIGHT * max(lines)
        self._sheet.append([_xlsx_value(self._sheet, value, number_format, font, WRAPPED if taken > 1 else alignment)
                            for number_format, value, taken in zip(formats, values, lines, strict=True)])

    def save(self, target: Path | str | IO[bytes]) -> None:
        self._book.save(target)


# long text wraps inside its column when printed, instead of being cut off at the cell's edge
WRAPPED = Alignment(wrap_text=True)  # at the bottom, as the cells beside it
TITLE_FONT = Font(bold=True, size=14)


def _write_xlsx(target, columns: Sequence[Column], rows: Iterable[Sequence[Any]], title: str,
                heading: Sequence[str] = ()) -> None:
    sheet = Sheet(title, [column.width for column in columns], table=True, heading_rows=len(heading))
    for number, line in enumerate(heading):
        sheet.append([line], font=TITLE_FONT if number == 0 else None)
    sheet.append([column.header for column in columns], font=Font(bold=True),
                 wrap_beyond=[column.width for column in columns])
    formats = [NUMBER_FORMATS.get(column.kind) for column in columns]
    limits = [column.width if column.kind == "text" else None for column in columns]
    for row in rows:
        sheet.append(row, formats, wrap_beyond=limits)
    sheet.save(target)


LINE_HEIGHT = 15  # points: one line of the default 11-point font


def _lines(text: str, width: float) -> int:
    """How many lines `text` takes in a column of `width` characters, wrapped (a Chinese
    character takes two; a character's width is kept free at the edge)."""
    room = max(1, int(width) - 1)
    if len(text) * 2 <= room:  # short enough whatever its characters: not measured
        return 1
    return max(1, -(-sum(2 if ord(c) > 0x2E7F else 1 for c in text) // room))


def _xlsx_value(sheet, value: Any, number_format: str | None, font: Font | None = None,
                alignment: Alignment | None = None) -> Any:
    if isinstance(value, str):
        value = _safe_text(value)
        if not value.startswith(FORMULA_STARTS) and font is None and alignment is None:
            return value
        cell = WriteOnlyCell(sheet, value=value)
        if value.startswith(FORMULA_STARTS):
            cell.data_type = "s"  # openpyxl would store "=..." as a formula
            cell.quotePrefix = True  # and Excel would make a formula of "+1" or "@SUM(A1)" once it is edited
    else:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.replace(tzinfo=None)  # Excel has no time zones: callers pass local times
        if (number_format is None or value is None) and font is None and alignment is None:
            return value  # only styled cells are WriteOnlyCells: plain values are several times faster to write
        cell = WriteOnlyCell(sheet, value=value)
        if number_format is not None and value is not None:
            cell.number_format = number_format
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def cell_date(value: Any) -> date:
    """A date from a cell: an Excel date, or text like 2026-03-01, 2026/3/1 or 2026年3月1日.
    Raises ValueError."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip().replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
        parts = text.split(" ")[0].split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
    raise ValueError(f"不是日期 / not a date: {value!r}")
