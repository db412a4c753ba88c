"""Plans for package directories: upgrade installed packages, or install new ones, from disk."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from metadata.errors import PackageError, Problem
from metadata.loader import load_package, package_from_documents
from metadata.registry import Registry, build_registry
from runtime.migrations.diff import diff
from runtime.migrations.plan import Plan
from runtime.site import Site
from runtime.store import documents_of

__all__ = ["plan_packages", "upgraded_registry"]


def upgraded_registry(installed: Registry, roots: Iterable[Path]) -> Registry:
    """The installed packages with those at ``roots`` replacing (or joining) them, checked together.

    Raises ``metadata.errors.PackageError`` with every problem found.
    """
    problems: list[Problem] = []
    given = [package for root in roots if (package := load_package(Path(root), problems)) is not None]
    replaced = {package.name for package in given}
    kept = [
        package
        for documents in documents_of(installed.packages)
        if documents["manifest"]["name"] not in replaced
        and (package := package_from_documents(documents, problems)) is not None
    ]
    registry = build_registry(kept + given, problems)
    if problems:
        raise PackageError(problems)
    return registry


def plan_packages(site: Site, roots: Iterable[Path]) -> Plan:
    """The plan taking ``site`` to its packages upgraded with (or joined by) those at ``roots``."""
    return diff(site.registry, upgraded_registry(site.registry, roots))
