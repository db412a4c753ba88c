"""The site layer as a package: the files ``tessera metadata export --site`` writes.

The files are the package format the loader reads (``package.yaml``, ``objects/``,
``extensions/``, ``layouts/``, ``value_sets/``, ``apps/``, ``overrides/``, ``security/``), so
``tessera metadata check`` accepts them and installing them on another site with the same
packages gives the same effective metadata.
"""

from __future__ import annotations

from typing import Any

import yaml

from metadata.loader import FOLDERS, MANIFEST, SECURITY_FOLDER
from metadata.registry import Registry
from runtime.site_layer.components import site_documents

__all__ = ["site_package_files"]


def _yaml(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


def site_package_files(registry: Registry) -> dict[str, str]:
    """Relative path → YAML text of every file of the site layer as a package."""
    documents = site_documents(registry)
    files = {MANIFEST: _yaml(documents["manifest"])}
    for folder in FOLDERS:
        for document in documents.get(folder, []):
            if folder == "extensions":
                name = document["extends"]
            elif folder == "overrides":
                name = f"{document['kind']}.{document['api_name']}"
            else:
                name = document["api_name"]
            files[f"{folder}/{name}.yaml"] = _yaml(document)
    for kind, items in (documents.get(SECURITY_FOLDER) or {}).items():
        if items:
            files[f"{SECURITY_FOLDER}/{kind}.yaml"] = _yaml({kind: items})
    return files
