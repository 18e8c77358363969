"""The card sheet opened from disk (file://, no server) in Chromium: its
embedded stylesheet applies under the sheet's own Content-Security-Policy
(allowed by hash: no violation), the pages are A4 grids of cards with cut
lines, and the sheet asks for nothing over the network. Screenshot:
/tmp/cardsheet-file.png."""

from __future__ import annotations

from voting import create_app
from voting.services import cards
from voting.services import cardsheet


def test_the_saved_sheet_prints_styled_from_disk(browser, tmp_path):
    app = create_app({"TESTING": True, "VOTING_DATABASE_URL": f"sqlite:///{tmp_path}/v.db",
                      "VOTING_KEYS_DIR": str(tmp_path), "VOTING_PUBLIC_URL": "http://10.0.0.5:8000"})
    issued = [cards.IssuedCard(serial=n, token_text=cards.encode_token(bytes([n]) * 16),
                               is_spare=n == 9) for n in range(1, 10)]
    with app.app_context():
        html = cardsheet.render_sheet(issued, conference_name="Hội nghị tổng kết Cụm thi đua",
                                      round_titles=["Đơn vị tiên tiến"],
                                      public_url=app.config["VOTING_PUBLIC_URL"])
    sheet = tmp_path / "ballot-cards.html"
    sheet.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1000, "height": 1400})
    page = context.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning")
            else None)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(sheet.as_uri())
    page.screenshot(path="/tmp/cardsheet-file.png")
    assert page.locator(".sheet-page").count() == 2 and page.locator("article").count() == 9
    style = page.evaluate("""() => {
      const card = getComputedStyle(document.querySelector('.ballot-card'));
      const grid = getComputedStyle(document.querySelector('.sheet-page'));
      return {display: grid.display, columns: grid.gridTemplateColumns.split(' ').length,
              cut: card.borderRightStyle, code: getComputedStyle(
                document.querySelector('.card-code')).whiteSpace};
    }""")
    assert style == {"display": "grid", "columns": 2, "cut": "dashed", "code": "nowrap"}
    assert problems == []  # no CSP violation: the <style> is allowed by its hash
    assert requests == [sheet.as_uri()]  # nothing fetched from anywhere
    context.close()
