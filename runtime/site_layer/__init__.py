"""The site layer: what admins change in setup, kept as the top layer over the installed packages.

:mod:`~runtime.site_layer.components` reads components of the effective metadata and turns a
component's new document into the site package's documents (own components, extensions of
package objects, per-property overrides); :mod:`~runtime.site_layer.changes` plans, applies,
lists and reverts change sets; :mod:`~runtime.site_layer.freshness` keeps every worker on the
current metadata version; :mod:`~runtime.site_layer.export` writes the layer as a package.
"""

from runtime.site_layer.changes import SetupPlan, apply_change, get_change_set, list_change_sets, plan_change, plan_revert
from runtime.site_layer.components import (
    KINDS,
    SITE_PACKAGE,
    Kind,
    component,
    component_owner,
    component_version,
    list_components,
)
from runtime.site_layer.errors import ChangeSetError, ComponentNotFoundError, SetupError, SetupProblem, StaleComponentError

__all__ = [
    "KINDS",
    "SITE_PACKAGE",
    "ChangeSetError",
    "ComponentNotFoundError",
    "Kind",
    "SetupError",
    "SetupPlan",
    "SetupProblem",
    "StaleComponentError",
    "apply_change",
    "component",
    "component_owner",
    "component_version",
    "get_change_set",
    "list_change_sets",
    "list_components",
    "plan_change",
    "plan_revert",
]
