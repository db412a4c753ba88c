"""Record pages and forms through their .json twins: layout, formats, related lists, errors, rules, escaping."""

from __future__ import annotations

from sample_records import make_account, make_opportunity

from runtime.records.context import SYSTEM, Actor


def fields_of(page) -> dict[str, dict]:
    return {field["field"]: field for section in page["sections"] for field in section["fields"]}


def test_detail_formats_per_locale_and_lists_children(as_manager, services, people):
    account = make_account(services, people.rep, "Omega Works")
    deal = make_opportunity(services, people.rep, account, "Omega rollout", amount="250000", close_date="2031-03-05")
    page = as_manager.json(f"/app/sales/opportunity/{deal}")
    shown = fields_of(page)
    assert shown["amount"]["text"] == "CN¥250,000.00"
    assert shown["close_date"]["text"] == "Mar 5, 2031"
    assert shown["account"]["text"] == "Omega Works" and shown["account"]["href"] == f"/app/sales/account/{account}"
    assert page["record"]["business_type"] == "Simple Sales Process"
    assert "loss_reason" not in shown  # a field rule hides it until the deal is lost
    as_manager.headers["accept-language"] = "zh"
    zh = fields_of(as_manager.json(f"/app/sales/opportunity/{deal}"))
    assert zh["close_date"]["text"] == "2031年3月5日" and zh["amount"]["text"] == "¥250,000.00"

    parent = as_manager.json(f"/app/sales/account/{account}")
    opportunities = next(item for item in parent["related"] if item["object"] == "opportunity")
    assert [row["cells"][0]["text"] for row in opportunities["rows"]] == ["Omega rollout"]
    assert opportunities["new_url"] == f"/app/sales/opportunity/new?account={account}"
    form = as_manager.json("/app/sales/opportunity/new", account=account, business_type="simple_sales")
    assert fields_of(form)["account"]["value"] == account and fields_of(form)["account"]["display"] == "Omega Works"


def test_history_and_recycle_bin(as_manager, services, people):
    account = make_account(services, people.rep, "Sigma")
    deal = make_opportunity(services, people.rep, account, "Sigma deal", amount="10")
    services.records.update(Actor(user_id=people.rep), "opportunity", deal, {"amount": "20"})
    history = as_manager.json(f"/app/sales/opportunity/{deal}")["history"]
    assert [(entry["field"], entry["old"], entry["new"]) for entry in history if entry["field"] == "amount"] == [("amount", "CN¥10.00", "CN¥20.00")]
    assert [entry["label"] for entry in history if entry["event"]] == ["Created"]
    gone = as_manager.post(f"/app/sales/opportunity/{deal}/delete")
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    page = as_manager.json(f"/app/sales/opportunity/{deal}")
    assert page["record"]["deleted"] is True and page["urls"]["restore"] and page["urls"]["edit"] is None
    as_manager.post(f"/app/sales/opportunity/{deal}/restore")
    page = as_manager.json(f"/app/sales/opportunity/{deal}")
    assert page["record"]["deleted"] is False
    assert [entry["label"] for entry in page["history"] if entry["event"]] == ["Restored from the recycle bin", "Moved to the recycle bin", "Created"]


def test_create_form_errors_then_success(as_rep, services, people):
    choice = as_rep.json("/app/sales/account/new")
    assert [item["api_name"] for item in choice["choices"]] == ["enterprise", "individual", "channel"]
    form = as_rep.json("/app/sales/account/new", business_type="enterprise")
    assert fields_of(form)["industry"]["required"] is True  # the business type requires it
    refused = as_rep.post("/app/sales/account/new", {"business_type": "enterprise", "name": "Zeta", "employees": "many"})
    assert refused.status_code == 422
    page = refused.json()
    assert {field for field, info in fields_of(page).items() if info["errors"]} == {"employees", "industry"}
    assert fields_of(page)["employees"]["value"] == "many"  # what was typed is kept
    assert fields_of(page)["name"]["value"] == "Zeta"
    missing = as_rep.post("/app/sales/account/new", {"business_type": "enterprise", "name": "", "employees": "3"}).json()
    assert {field for field, info in fields_of(missing).items() if info["errors"]} == {"name", "industry"}
    assert {error["field"] for error in missing["errors"]} == {"name", "industry"}
    created = as_rep.post("/app/sales/account/new", {"business_type": "enterprise", "name": "Zeta", "industry": "mining", "employees": "12"})
    assert created.status_code == 200, created.text
    record = services.records.get(SYSTEM, "account", created.json()["id"])
    assert (record["name"], record["industry"], record["employees"], record["owner"]) == ("Zeta", "mining", 12, people.rep)

    # a field rule's requirement is enforced where it is shown: signed accounts need the credit code
    signed = {"business_type": "enterprise", "name": "Eta", "industry": "mining", "status": "signed"}
    refused = as_rep.post("/app/sales/account/new", signed)
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["unified_social_credit_code"]
    assert fields_of(refused.json())["unified_social_credit_code"]["required"] is True


def test_forms_need_the_csrf_token(as_rep):
    response = as_rep.post("/app/sales/account/new", {"business_type": "enterprise", "name": "No token"}, csrf=False)
    assert response.status_code == 403


def test_field_rules_and_dependent_picklists_are_reevaluated(as_rep, services, people):
    fields = fields_of(as_rep.json("/app/sales/opportunity/new", business_type="simple_sales"))
    assert fields["loss_reason"]["visible"] is False
    # only fields a rule reads re-draw the form when changed, so typing elsewhere is never interrupted
    assert fields["stage"]["live"] is True and fields["name"]["live"] is False
    redrawn = as_rep.post("/app/sales/opportunity/form", {"business_type": "simple_sales", "stage": "lost", "name": "x"})
    assert redrawn.status_code == 200
    after = fields_of(redrawn.json())
    assert after["loss_reason"]["visible"] is True and after["loss_reason"]["required"] is True

    case_fields = fields_of(as_rep.json("/app/service/service_case/new"))
    assert case_fields["sub_category"]["choices"] == []  # nothing until a category is chosen
    hardware = fields_of(as_rep.post("/app/service/service_case/form", {"category": "hardware_fault"}).json())
    assert [choice["value"] for choice in hardware["sub_category"]["choices"]] == ["cannot_start", "damaged", "noise", "performance"]


def test_version_conflict_is_explained(as_rep, services, people):
    account = make_account(services, people.rep, "Kappa")
    version = services.records.get(SYSTEM, "account", account)["version"]
    services.records.update(SYSTEM, "account", account, {"employees": 5})
    response = as_rep.post(f"/app/sales/account/{account}/edit", {"version": str(version), "name": "Kappa 2"})
    assert response.status_code == 409
    page = response.json()
    assert page["conflict"] is True and page["reload_url"] == f"/app/sales/account/{account}/edit"
    assert page["errors"][0]["code"] == "version_conflict"


def test_permissions_hide_and_lock_fields(as_rep, services, policy, people):
    policy.hidden_fields[(people.rep, "account")] = {"annual_revenue"}
    policy.locked_fields[(people.rep, "account")] = {"credit_limit"}
    account = make_account(services, people.rep, "Lambda", annual_revenue="100", credit_limit="5")
    detail = fields_of(as_rep.json(f"/app/sales/account/{account}"))
    assert "annual_revenue" not in detail
    form = fields_of(as_rep.json(f"/app/sales/account/{account}/edit"))
    assert "annual_revenue" not in form and form["credit_limit"]["read_only"] is True


PAYLOADS = ['<script>alert("x")</script>', "javascript:alert(1)", '"><img src=x onerror=alert(1)>']


def test_stored_markup_and_script_urls_render_inert(as_manager, services, people):
    account = make_account(services, people.rep, PAYLOADS[0], legal_representative=PAYLOADS[1], address=PAYLOADS[2], description=PAYLOADS[0])
    html = as_manager.get(f"/app/sales/account/{account}").text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    listing = as_manager.get("/app/sales/account").text
    assert "<script>alert" not in listing
    csp = as_manager.get("/app/sales/account").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert fields_of(as_manager.json(f"/app/sales/account/{account}"))["legal_representative"]["text"] == "javascript:alert(1)"


def test_only_web_addresses_become_links():
    from admin_ui.web.pages.values import safe_href

    assert safe_href("https://example.com/a?b=1") == "https://example.com/a?b=1"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "vbscript:x", "//evil.example", "https://x\n.example"):
        assert safe_href(bad.replace("\\n", "\n")) is None, bad


TEXT_LIKE = ("text", "textarea", "long_text", "rich_text", "email", "phone", "url", "tags")


def test_every_text_like_field_type_renders_markup_as_text(as_manager, services, people):
    """Stored markup in every text-like field (written straight to the table, as an import or an
    older version might have left it) is printed as text on every page that shows it."""
    import sqlalchemy as sa

    payload = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    account = make_account(services, people.rep, "Inert")
    deal = make_opportunity(services, people.rep, account, "Inert deal")
    product = services.records.create(SYSTEM, "product", {"name": "Inert product", "product_code": "P-1"})["id"]
    records = {"account": account, "opportunity": deal, "product": product}
    types = set()
    for object_name, record_id in records.items():
        values = {}
        for definition in services.site.registry.objects[object_name].fields:
            if definition.type in TEXT_LIKE and definition.api_name != "name":
                values[definition.api_name] = [payload] if definition.type == "tags" else payload[: getattr(definition, "max_length", 1000)]
                types.add(definition.type)
        table = services.site.tables[object_name]
        with services.site.begin() as connection:
            connection.execute(sa.update(table).where(table.c.id == record_id).values(**values))
    assert types == set(TEXT_LIKE)
    pages = [f"/app/sales/account/{account}", f"/app/sales/opportunity/{deal}", "/app/sales/account", f"/app/sales/account/{account}/edit",
             f"/app/sales/opportunity/{deal}/edit", "/app/sales/opportunity/kanban", f"/app/service/product/{product}"]
    for path in pages:
        response = as_manager.get(path)
        assert response.status_code == 200, path
        assert "<script>alert" not in response.text and "<img src=x" not in response.text, path
        assert 'href="javascript' not in response.text.lower()
    detail = as_manager.get(f"/app/sales/account/{account}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail


def test_region_cascade_and_multi_value_inputs(as_rep, services, people):
    form = fields_of(as_rep.json("/app/sales/account/new", business_type="enterprise"))
    levels = form["region"]["levels"]
    assert len(levels) == 1 and {"value": "cn_11", "label": "Beijing"} in levels[0]["options"]
    province = fields_of(as_rep.post("/app/sales/account/form", {"business_type": "enterprise", "region__1": "cn_11"}).json())
    assert [level["value"] for level in province["region"]["levels"]] == ["cn_11", None]
    assert {"value": "cn_1101", "label": "Municipal Districts"} in province["region"]["levels"][1]["options"]
    # a city left selected under another province is dropped, not saved
    moved = fields_of(as_rep.post("/app/sales/account/form", {"business_type": "enterprise", "region__1": "cn_12", "region__2": "cn_1101"}).json())
    assert [level["value"] for level in moved["region"]["levels"]] == ["cn_12", None]

    created = as_rep.post("/app/sales/account/new", {
        "business_type": "enterprise", "name": "Region Co", "industry": "mining",
        "region__1": "cn_11", "region__2": "cn_1101", "region__3": "cn_110101", "tags": "vip, north",
    })
    assert created.status_code == 200, created.text
    record = services.records.get(SYSTEM, "account", created.json()["id"])
    assert record["region"] == "cn_110101" and record["tags"] == ["vip", "north"]
    detail = fields_of(as_rep.json(f"/app/sales/account/{record['id']}"))
    assert detail["region"]["text"] == "Beijing / Municipal Districts / Dongcheng District"


def test_business_types_offered_follow_the_users_department(as_rep, services, site, people, monkeypatch):

    east = services.records.create(SYSTEM, "department", {"name": "East", "code": "east"})["id"]
    hangzhou = services.records.create(SYSTEM, "department", {"name": "Hangzhou", "code": "east_hz", "parent": east})["id"]
    services.records.update(SYSTEM, "user", people.rep, {"department": hangzhou})
    account = site.registry.objects["account"]
    types = [item.model_copy(update={"departments": ["east"]}) if item.api_name == "channel" else
             item.model_copy(update={"departments": ["west"]}) if item.api_name == "individual" else item
             for item in account.business_types]
    # the registry is the site template's, shared by the tests: change it for this test only
    monkeypatch.setitem(site.registry.objects, "account", account.model_copy(update={"business_types": types}))
    offered = [item["api_name"] for item in as_rep.json("/app/sales/account/new")["choices"]]
    assert offered == ["enterprise", "channel"]  # channel through the parent department; not individual


def test_a_polymorphic_lookup_shows_the_records_name_and_links_to_its_object(as_rep, services, people):
    account = make_account(services, people.rep, "Theta Mills")
    deal = make_opportunity(services, people.rep, account, "Theta expansion")
    create = services.records.create
    on_account = create(SYSTEM, "task", {"subject": "Send catalogue", "related_to": account, "due_date": "2031-01-05", "owner": people.rep})["id"]
    on_deal = create(SYSTEM, "task", {"subject": "Book demo", "related_to": deal, "due_date": "2031-01-06", "owner": people.rep})["id"]
    shown = fields_of(as_rep.json(f"/app/sales/task/{on_account}"))["related_to"]
    assert (shown["text"], shown["href"]) == ("Theta Mills", f"/app/sales/account/{account}")
    shown = fields_of(as_rep.json(f"/app/sales/task/{on_deal}"))["related_to"]
    assert (shown["text"], shown["href"]) == ("Theta expansion", f"/app/sales/opportunity/{deal}")
    form = as_rep.json(f"/app/sales/task/{on_deal}/edit")
    assert fields_of(form)["related_to"]["value"] == deal and fields_of(form)["related_to"]["display"] == "Theta expansion"
    listed = as_rep.json("/app/sales/task")
    column = listed["columns"].index(next(column for column in listed["columns"] if column["field"] == "related_to"))
    texts = {row["cells"][0]["text"]: row["cells"][column]["text"] for row in listed["rows"]}
    assert texts["Send catalogue"] == "Theta Mills" and texts["Book demo"] == "Theta expansion"


def test_a_polymorphic_lookup_is_picked_by_searching_its_objects(as_rep, services, people):
    account = make_account(services, people.rep, "Iota Foods")
    make_opportunity(services, people.rep, account, "Iota pantry")
    form = fields_of(as_rep.json("/app/sales/task/new"))
    assert form["related_to"]["lookup_url"] == "/app/sales/task/lookup?field=related_to"
    options = as_rep.json("/app/sales/task/lookup", field="related_to", q="Iota")["options"]
    assert {(option["name"], option["object"], option["object_label"]) for option in options} >= {
        ("Iota Foods", "account", "Account"),
        ("Iota pantry", "opportunity", "Opportunity"),
    }
    as_rep.headers["accept-language"] = "zh"
    labels = {option["object"]: option["object_label"] for option in as_rep.json("/app/sales/task/lookup", field="related_to", q="Iota")["options"]}
    assert labels["account"] == "客户"
    html = as_rep.client.get("/app/sales/task/lookup", params={"field": "related_to", "q": "Iota"}, headers=as_rep.headers).text
    assert 'data-name="Iota Foods"' in html and "lookup-object" in html
    single = as_rep.client.get("/app/sales/opportunity/lookup", params={"field": "account", "q": "Iota"}, headers=as_rep.headers)
    assert single.status_code == 200 and 'data-name="Iota Foods"' in single.text and "lookup-object" not in single.text


def test_a_plain_number_field_shows_its_digits_without_thousands_separators(services):
    from admin_ui.web.pages.values import display

    for language in ("en", "zh"):
        assert display(services.site, "goal", "fiscal_year", {"fiscal_year": 2026}, language, app="sales")["text"] == "2026"
        assert display(services.site, "account", "employees", {"employees": 2026}, language, app="sales")["text"] == "2,026"
