"""CSV import and export of any object's records, through the record pipeline and security.

No HTTP and no terminal here: ``admin_ui`` wraps these for the API and the ``tessera import`` /
``tessera export`` commands. See :func:`import_csv` and :func:`export_csv`.
"""

from runtime.transfer.errors import CsvImportError, RowError
from runtime.transfer.exporter import export_csv
from runtime.transfer.importer import ImportResult, import_csv

__all__ = ["CsvImportError", "ImportResult", "RowError", "export_csv", "import_csv"]
