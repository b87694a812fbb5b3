"""Supply stock: reports all or nothing with every error named by row and column (quick report,
upload, API alike), low-stock alerts, and who sees what (details of one's own, everyone's once
the county shares, totals only for viewers)."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from samverkan.accounts.models import Notification
from samverkan.audit.models import AuditEvent
from samverkan.resources import selectors, services, stockrows
from samverkan.resources.models import StockReport
from samverkan.resources.tests.helpers import catalogue, stock_row
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def _submit(world, rows, by=None, county="20"):
    return services.stock_reports_submit(
        county_code=county, rows=[(str(i + 2), r) for i, r in enumerate(rows)], by=by or world.admin
    )


def test_a_report_is_stored_with_its_audit_event(world):
    catalogue()
    batch = _submit(
        world,
        [stock_row("2080"), stock_row("t-lunden", "handsprit", on_order=20, expected_on="2030-03-10")],
        by=world.falun_coordinator,
    )
    assert batch.count == 2 and batch.low == []
    lunden = StockReport.objects.get(unit=world.lunden)
    assert (lunden.organisation, lunden.on_order, str(lunden.expected_on)) == (world.falun, 20, "2030-03-10")
    event = AuditEvent.objects.get(event_type="resources.stock_reported")
    assert event.after["rows"] == 2 and event.after["organisations"] == ["Falun"]


BAD_ROWS = [
    (stock_row("2080", on_hand=""), "on_hand"),
    (stock_row("2080", on_hand="-3"), "on_hand"),
    (stock_row("2080", on_hand="12,5"), "on_hand"),
    (stock_row("2080", used_7_days="många"), "used_7_days"),
    (stock_row("2080", on_order="10"), "expected_on"),
    (stock_row("2080", on_order="10", expected_on="10/3"), "expected_on"),
    (stock_row("2080", expected_on="2400-01-01"), "expected_on"),
    (stock_row("2080", can_obtain="kanske"), "can_obtain"),
    (stock_row("2080", item="visir"), "item"),
    (stock_row("9999"), "organisation"),
    (stock_row("1880"), "organisation"),  # Örebro's municipality: not in this county
    (stock_row("2084"), "organisation"),  # Avesta: Falun's coordinator may not report for it
    (stock_row("t-avesta"), "unit"),
    (stock_row("t-nope"), "unit"),
    ({"item": "ffp2", "on_hand": 1, "can_obtain": "yes"}, "organisation"),
    (stock_row("2080", extra="x"), "extra"),
    (stock_row("2080", on_hand=str(10**8)), "on_hand"),
]


@pytest.mark.parametrize(("bad", "column"), BAD_ROWS, ids=[f"{c}-{i}" for i, (_b, c) in enumerate(BAD_ROWS)])
def test_one_bad_row_stores_nothing_and_is_named(world, bad, column):
    catalogue()
    audit_before = AuditEvent.objects.count()
    with pytest.raises(stockrows.Invalid) as invalid:
        _submit(world, [stock_row("2080", "handsprit"), bad, stock_row("t-lunden")], by=world.falun_coordinator)
    assert [(e.row, e.column) for e in invalid.value.errors] == [("3", column)], invalid.value.errors
    assert StockReport.objects.count() == 0 and AuditEvent.objects.count() == audit_before


def test_every_error_is_reported_at_once(world):
    catalogue()
    with pytest.raises(stockrows.Invalid) as invalid:
        _submit(
            world,
            [stock_row("2080", on_hand="x", can_obtain=""), stock_row("2080"), stock_row("2080")],
            by=world.falun_coordinator,
        )
    found = [(e.row, e.column) for e in invalid.value.errors]
    assert found == [("2", "on_hand"), ("2", "can_obtain"), ("3", "item"), ("4", "item")]  # rows 3, 4 repeat row 2
    assert "also on row 2" in invalid.value.errors[-1].message
    assert str(invalid.value.errors[0]).startswith("Row 2, on_hand:")


UPLOADS = {
    "semicolon.csv": b"unit;item;on_hand;used_7_days;on_order;expected_on;can_obtain\nt-lunden;ffp2;40;70;;;ja\nt-lunden;handsprit;12;;;;os\xc3\xa4ker\n",
    "windows.csv": "organisation,item,on_hand,can_obtain\n2080,handskar,5,osäker\n".encode("cp1252"),
}


def test_uploads_in_csv(world):
    catalogue()
    rows = stockrows.read_file("semicolon.csv", UPLOADS["semicolon.csv"])
    assert [r for r, _values in rows] == ["2", "3"]
    batch = services.stock_reports_submit(county_code="20", rows=rows, by=world.lunden_staff)
    assert batch.count == 2
    rows = stockrows.read_file("windows.csv", UPLOADS["windows.csv"])
    services.stock_reports_submit(county_code="20", rows=rows, by=world.falun_coordinator)
    assert StockReport.objects.get(item__code="handskar").can_obtain == "uncertain"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("header-only.csv", b"unit,item,on_hand,can_obtain\n", "no rows"),
        ("no-item.csv", b"unit,on_hand,can_obtain\nt-lunden,4,ja\n", "item is missing"),
        ("not-excel.xlsx", b"not a zip", "workbook"),
    ],
)
def test_unreadable_files_are_refused(name, data, message):
    with pytest.raises(stockrows.FileRejected) as rejected:
        stockrows.read_file(name, data)
    assert message in str(rejected.value.errors)


def test_the_upload_page_lists_every_error_and_stores_nothing(client, world):
    catalogue()
    login(client, world.falun_coordinator)
    data = (
        b"unit,item,on_hand,used_7_days,can_obtain\nt-lunden,ffp2,40,70,ja\nt-lunden,visir,4,,ja\nt-avesta,ffp2,x,,ja\n"
    )
    response = client.post(
        "/resurser/forrad/uppladdning/?county=20", {"file": SimpleUploadedFile("lager.csv", data, "text/csv")}
    )
    assert response.status_code == 200
    shown = [str(e) for e in response.context["errors"]]
    assert shown == [
        "Row 3, item: No article with the code visir in the county's catalogue.",
        "Row 4, unit: You may not report stock for Avesta korttidsboende.",
        "Row 4, on_hand: “x” is not a whole number of 0 or more.",
    ]
    assert not StockReport.objects.exists()
    good = b"unit,item,on_hand,used_7_days,can_obtain\nt-lunden,ffp2,40,70,ja\n"
    response = client.post(
        "/resurser/forrad/uppladdning/?county=20", {"file": SimpleUploadedFile("lager.csv", good, "text/csv")}
    )
    assert response.status_code == 302 and StockReport.objects.count() == 1


def test_low_stock_tells_the_supply_contacts_once(world):
    items = catalogue()
    # No contacts yet: the region's coordinators are told.
    _submit(world, [stock_row("2080", on_hand=30, used_7_days=70)], by=world.falun_coordinator)  # 3 days
    assert Notification.objects.filter(user=world.region_coordinator, text__contains="Low stock").count() == 1
    services.supply_contact_create(
        county_code="20",
        user=world.forum_secretary,
        area="Södra Dalarna",
        municipalities=[world.avesta.municipality],
        by=world.region_coordinator,
    )
    services.supply_contact_create(
        county_code="20",
        user=world.viewer,
        area="Falun–Borlänge",
        municipalities=[world.falun.municipality],
        by=world.region_coordinator,
    )
    Notification.objects.all().delete()
    batch = _submit(world, [stock_row("2080", on_hand=20, used_7_days=70)], by=world.falun_coordinator)  # still low
    assert batch.low == [] and not Notification.objects.exists()
    _submit(world, [stock_row("2080", on_hand=700, used_7_days=70)], by=world.falun_coordinator)  # 70 days
    batch = _submit(world, [stock_row("t-lunden", "handsprit", on_hand=0)], by=world.lunden_staff)
    assert [r.item for r in batch.low] == [items["handsprit"]]
    told = {n.user for n in Notification.objects.filter(text__contains="Low stock")}
    assert told == {world.viewer}  # Falun's contact, not the south's
    assert "Lunden korttidsboende, Handdesinfektion: 0 days" in Notification.objects.get().text


def test_who_sees_stock_in_detail(world, client):
    catalogue()
    _submit(world, [stock_row("2080", on_hand=30, used_7_days=70)], by=world.falun_coordinator)
    _submit(world, [stock_row("2084", on_hand=700, used_7_days=70)], by=world.avesta_coordinator)

    def municipalities(persona):
        overview = selectors.stock_overview(getattr(world, persona), "20")
        return sorted(m.code for m, _cells in overview.municipalities), [len(overview.low)]

    assert municipalities("region_coordinator") == (["2080", "2084"], [1])
    assert municipalities("falun_coordinator") == (["2080"], [1])
    assert municipalities("avesta_coordinator") == (["2084"], [0])  # not Falun's details
    assert municipalities("viewer") == ([], [0])
    assert municipalities("forum_secretary") == ([], [0])
    # Everyone sees the county's totals.
    totals = selectors.stock_overview(world.viewer, "20").totals[0]
    assert (totals.total.on_hand, totals.total.used_7_days, totals.total.days, totals.places) == (730, 140, 36, 2)

    services.supply_settings_update(county_code="20", share_details=True, by=world.region_coordinator)
    assert municipalities("avesta_coordinator") == (["2080", "2084"], [1])
    assert municipalities("forum_secretary") == (["2080", "2084"], [1])
    assert municipalities("viewer") == ([], [0])  # viewers: totals only, shared or not
    login(client, world.viewer)
    page = client.get("/resurser/forrad/?county=20").content.decode()
    assert (
        "FFP2-andningsskydd" in page and "Falun" not in page.split("stock per article")[1].split("Supply contacts")[0]
    )


def test_the_api_takes_many_rows_all_or_nothing(client, world):
    catalogue()
    login(client, world.falun_coordinator)
    rows = [
        {"unit": "t-lunden", "item": code, "on_hand": 50, "used_7_days": 14, "can_obtain": "yes"}
        for code in ("ffp2", "handsprit", "handskar")
    ]
    bad = [*rows, {"organisation": "2084", "item": "ffp2", "on_hand": 1, "can_obtain": "no"}]
    response = client.post(
        "/api/v1/resources/stock-reports", {"county": "20", "rows": bad}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["detail"] == {"rows.3.organisation": ["You may not report stock for Avesta."]}
    assert not StockReport.objects.exists()
    response = client.post(
        "/api/v1/resources/stock-reports",
        {"county": "20", "rows": [{**rows[0], "on_hand": -1}]},
        content_type="application/json",
    )
    assert response.status_code == 422 and "rows.0.on_hand" in response.json()["detail"]
    response = client.post(
        "/api/v1/resources/stock-reports", {"county": "20", "rows": rows}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["rows"] == 3
    overview = client.get("/api/v1/resources/stock-overview?county=20").json()
    assert overview["municipalities"][0]["items"]["ffp2"]["bucket"] == "15–30"
    assert overview["totals"][0]["per_bucket"]["15–30"] == 1
    login(client, world.outsider)
    assert client.get("/api/v1/resources/stock-overview?county=20").status_code == 403


def test_the_quick_report_is_prefilled_from_the_last_one(client, world):
    catalogue()
    _submit(
        world,
        [stock_row("t-lunden", on_hand=44, used_7_days=7, on_order=5, expected_on="2030-01-02")],
        by=world.lunden_staff,
    )
    login(client, world.lunden_staff)
    response = client.get("/resurser/forrad/rapport/?county=20")
    line = response.context["lines"][0]
    assert line["values"] == {
        "on_hand": "44",
        "used_7_days": "7",
        "on_order": "5",
        "expected_on": "2030-01-02",
        "can_obtain": "yes",
    }
    assert [p.key for p in response.context["places"]] == [f"u{world.lunden.pk}"]
    post = {
        "county": "20",
        "place": f"u{world.lunden.pk}",
        "ffp2-on_hand": "10",
        "ffp2-used_7_days": "70",
        "ffp2-can_obtain": "no",
        "handsprit-on_hand": "x",
    }
    response = client.post("/resurser/forrad/rapport/", post)
    assert response.status_code == 200
    assert [(e.row, e.column) for e, _label in response.context["errors"]] == [
        ("Handdesinfektion", "on_hand"),
        ("Handdesinfektion", "can_obtain"),
    ]
    assert StockReport.objects.count() == 1
    post.update({"handsprit-on_hand": "300", "handsprit-can_obtain": "yes"})
    response = client.post("/resurser/forrad/rapport/", post)
    assert response.status_code == 302
    assert StockReport.objects.count() == 3  # handskar left empty: not reported


def test_uploads_in_excel(world):
    catalogue()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Unit", "Item", "On_hand", "Used_7_days", "On_order", "Expected_on", "Can_obtain"])
    sheet.append(["t-lunden", "ffp2", 40, 70, 10, datetime.date(2030, 3, 10), "ja"])
    sheet.append(["t-lunden", "handskar", 12.0, None, None, None, "Nej"])
    data = io.BytesIO()
    workbook.save(data)
    rows = stockrows.read_file("lager.xlsx", data.getvalue())
    assert rows[0] == (
        "2",
        {
            "unit": "t-lunden",
            "item": "ffp2",
            "on_hand": "40",
            "used_7_days": "70",
            "on_order": "10",
            "expected_on": "2030-03-10T00:00",
            "can_obtain": "ja",
        },
    )
    batch = services.stock_reports_submit(county_code="20", rows=rows, by=world.lunden_staff)
    assert batch.count == 2
    assert StockReport.objects.get(item__code="handskar").can_obtain == "no"
    assert StockReport.objects.get(item__code="ffp2").expected_on == datetime.date(2030, 3, 10)


def test_the_catalogue_is_edited_by_the_region(client, world):
    items = catalogue()
    login(client, world.falun_coordinator)
    assert client.get("/resurser/forrad/installningar/?county=20").status_code == 403
    login(client, world.region_coordinator)
    response = client.post(
        "/resurser/forrad/installningar/?county=20",
        {
            "county": "20",
            "form": "item",
            "item-name": "Visir",
            "item-code": "visir",
            "item-unit_label": "st",
            "item-order": 5,
        },
    )
    assert response.status_code == 302
    client.post("/resurser/forrad/installningar/", {"county": "20", "form": "toggle", "item": items["handskar"].pk})
    items["handskar"].refresh_from_db()
    assert not items["handskar"].is_active
    assert [i.code for i in selectors.supply_items(world.viewer, "20").filter(is_active=True)] == [
        "ffp2",
        "handsprit",
        "visir",
    ]
    with pytest.raises(stockrows.Invalid) as invalid:
        _submit(world, [stock_row("2080", "handskar")], by=world.falun_coordinator)
    assert invalid.value.errors[0].column == "item"  # an article no longer asked for is refused
    response = client.post(
        "/resurser/forrad/installningar/",
        {"county": "20", "form": "sharing", "share_details": "on"},
    )
    assert services.supply_settings_for("20").share_details
    assert {e.event_type for e in AuditEvent.objects.all()} >= {
        "resources.supply_item_created",
        "resources.supply_item_updated",
        "resources.supply_settings_updated",
    }
