"""Files made for one download: written to a temporary file (row by row, for the ledger),
then streamed, so a large file never sits in memory whole."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO, Callable

from flask import send_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {".xlsx": XLSX, ".csv": "text/csv; charset=utf-8"}


def send_written(write: Callable[[IO[bytes]], object], download_name: str):
    """Answer the file that `write` writes to the handle it is given, as an attachment
    named `download_name` (whose suffix gives the content type)."""
    handle = tempfile.TemporaryFile()
    write(handle)
    handle.seek(0)
    return send_file(handle, mimetype=MIMETYPES[Path(download_name).suffix], as_attachment=True,
                     download_name=download_name)
