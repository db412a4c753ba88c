"""An object whose package declares no layout still gets working forms and detail pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_pages_in_app import FAST_AUTH, csrf_of, signed_in

from admin_ui.web.app import create_app
from admin_ui.web.settings import Settings
from metadata.generated_layouts import generated_layout, layout_for
from metadata.registry import SYSTEM_PACKAGE, load_registry, shipped_packages
from runtime.site import init_site

PACKAGE = {
    "package.yaml": """
name: clinic
namespace: cl
version: 1.0.0
label: {en: Clinic, zh: 诊所}
depends:
  - {name: system}
""",
    "objects/cl_patient.yaml": """
api_name: cl_patient
label: {en: Patient, zh: 患者}
plural_label: {en: Patients, zh: 患者}
fields:
  - {api_name: birth_date, type: date, label: {en: Date of Birth, zh: 出生日期}}
  - {api_name: name, type: text, label: {en: Name, zh: 姓名}, required: true}
""",
    "objects/cl_visit.yaml": """
api_name: cl_visit
label: {en: Visit, zh: 就诊}
plural_label: {en: Visits, zh: 就诊记录}
fields:
  - {api_name: name, type: text, label: {en: Reason, zh: 事由}, required: true}
  - {api_name: patient, type: master_detail, to: cl_patient, label: {en: Patient, zh: 患者}}
""",
    "apps/cl_clinic.yaml": """
api_name: cl_clinic
label: {en: Clinic, zh: 诊所}
tabs: [cl_patient, cl_visit]
""",
}


@pytest.fixture
def clinic(tmp_path) -> Path:
    for name, text in PACKAGE.items():
        path = tmp_path / "clinic" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "clinic"


def test_the_generated_layout_holds_every_field_name_first_and_the_children(clinic):
    registry = load_registry([SYSTEM_PACKAGE, clinic])
    layout = generated_layout(registry, "cl_patient")
    assert [item.field for item in layout.sections[0].items] == ["name", "birth_date"]
    assert [(related.object, related.field, related.columns) for related in layout.related_lists] == [("cl_visit", "patient", ["name"])]
    assert layout_for(registry, "cl_patient").api_name == "cl_patient_generated"


def test_a_declared_layout_wins_over_the_generated_one():
    registry = load_registry(shipped_packages())
    object_name = next(layout.object for layout in registry.layouts.values())
    assert not layout_for(registry, object_name).api_name.endswith("_generated")


def test_forms_and_detail_pages_of_an_object_without_a_layout(engine, clinic):
    site = init_site(engine, [*shipped_packages()[:1], clinic])
    app = create_app(Settings(auth=FAST_AUTH), site=site)
    with signed_in(app, "boss", admin=True) as client:
        form = client.get("/app/cl_clinic/cl_patient/new")
        assert form.status_code == 200
        assert 'name="name"' in form.text and 'name="birth_date"' in form.text
        created = client.post(
            "/app/cl_clinic/cl_patient/new",
            data={"csrf_token": csrf_of(form.text), "name": "Grace", "birth_date": "1906-12-09"},
            follow_redirects=False,
        )
        assert created.status_code == 303, created.text
        detail = client.get(created.headers["location"] + ".json").json()
        shown = {item["label"] for section in detail["sections"] for item in section["fields"]}
        assert {"Name", "Date of Birth"} <= shown
        assert [(related["object"], related["label"]) for related in detail["related"]] == [("cl_visit", "Visits")]
        described = client.get("/api/v1/objects/cl_patient").json()
        assert [layout["api_name"] for layout in described["layouts"]] == ["cl_patient_generated"]
