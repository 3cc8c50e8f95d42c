"""/stats in a real browser at phone size: the charts draw from /api/stats, each beside its data table and its
CSV link, and the page passes axe."""

from app.services.submissions import Submitter, hash_device_token, submit_report, submit_status
from tests.browser.conftest import axe_violations, describe
from tests.factories import make_place, make_user

FIGURES = 6


def test_stats_page_draws_every_chart_beside_its_table(phone_page, live_server, live_db):
    volunteer = make_user(live_db)
    cafe = make_place(live_db, name="Café", category="food", wheelchair="yes", lon=9.52, lat=47.14)
    make_place(live_db, name="Museum", category="culture", wheelchair="unknown", lon=8.54, lat=47.37)
    submit_status(live_db, Submitter(user=volunteer), cafe.id, {"wheelchair": "limited"})
    submit_report(live_db, Submitter(device_hash=hash_device_token("stats-browser")), cafe.id, {"problem": "closed"})
    live_db.commit()
    page = phone_page

    page.goto(f"{live_server}/")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Statistics").click()
    page.wait_for_url(f"{live_server}/stats")
    page.locator('[data-charts="drawn"]').wait_for()

    charts = page.get_by_role("img", name="as a chart")
    assert charts.count() == FIGURES
    for i in range(FIGURES):
        box = charts.nth(i).bounding_box()
        assert box["width"] > 300 and box["height"] > 200, box
    # The queue chart shows what waits: one status answer and one report.
    drawn = page.evaluate("""() => {
        const chart = Chart.getChart(document.getElementById("queue-chart"));
        return Object.fromEntries(chart.data.labels.map((label, i) => [label, chart.data.datasets[0].data[i]]));
    }""")
    assert drawn == {"Status": 1, "New place": 0, "Correction": 0, "Report": 1, "Still correct": 0, "Details": 0,
                     "Photo": 0, "Photo report": 0, "Possible duplicate": 0}

    assert page.locator("table caption").count() == FIGURES
    queue = page.get_by_role("table", name="Moderation queue")
    assert queue.get_by_role("row", name="Status 1").count() == 1
    category = page.get_by_role("table", name="Coverage by category")
    assert category.get_by_role("row", name="Food and drink 1 1 100.0").count() == 1
    assert page.get_by_role("link", name="as CSV").count() == FIGURES
    assert axe_violations(page) == [], describe(axe_violations(page))
