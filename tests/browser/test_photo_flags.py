"""The inspector's photo flags on a 360-px phone: the demo's reused picture shown as the two photos
side by side with the earlier visit named, the photo taken weeks from its visit with both dates;
thumb-sized targets, readable text, nothing wider than the phone, axe-clean."""
from __future__ import annotations

from datetime import timedelta

from relief.dates import today

from .test_touch_and_text import MEASURE

#: the demo plants its made-up visits 40 days back
YEAR = (today() - timedelta(days=40)).year

PAIRS = """() => Array.from(document.querySelectorAll('.reused-photo'), pair => {
  const imgs = Array.from(pair.querySelectorAll('img'), img => {
    const r = img.getBoundingClientRect();
    return {src: img.getAttribute('src'), loaded: img.complete && img.naturalWidth > 0,
            left: r.left, right: r.right, top: r.top, width: r.width};
  });
  return {imgs, text: pair.querySelector('.reused-evidence').innerText};
})"""


def _open(phone, reason):
    phone.goto(f"/flags/?year={YEAR}&reason={reason}")
    phone.page.wait_for_load_state("networkidle")
    # the photos are lazy: bring each into view so it loads
    for img in phone.page.locator(".reused-photo img").all():
        img.scroll_into_view_if_needed()
    phone.page.wait_for_load_state("networkidle")
    phone.page.evaluate("window.scrollTo(0, 0)")


def test_a_reused_picture_shows_both_photos_side_by_side_on_a_phone(phone):
    phone.login("demo-inspector")
    _open(phone, "reused_photo")
    pairs = phone.page.evaluate(PAIRS)
    # the demo re-saved one yard's picture onto two other households' visits; browser tests run
    # before this one in the same session may have sent a test picture twice more
    assert len(pairs) >= 2
    for pair in pairs:
        this, earlier = pair["imgs"]
        assert this["loaded"] and earlier["loaded"], pair
        assert this["src"] != earlier["src"]
        assert abs(this["top"] - earlier["top"]) < 2 and this["right"] <= earlier["left"], pair
        assert earlier["right"] <= 360 and this["width"] > 120
        assert "更早的走访 #" in pair["text"] and "户" in pair["text"]
    assert phone.horizontal_overflow() == 0
    found = phone.page.evaluate(MEASURE)
    assert found == {"small": [], "tiny": []}, found
    phone.preload_axe()
    assert phone.axe_violations() == []


def test_a_photo_taken_weeks_from_its_visit_shows_both_dates(phone):
    phone.login("demo-inspector")
    _open(phone, "photo_date_mismatch")
    gaps = phone.page.locator(".photo-date-gap").all_inner_texts()
    assert len(gaps) == 2 and any("相差 41 天" in g for g in gaps) and any("相差 14 天" in g for g in gaps)
    assert all("照片拍摄于" in g and "填报的走访日期是" in g for g in gaps)
    assert phone.horizontal_overflow() == 0
    assert phone.page.evaluate(MEASURE) == {"small": [], "tiny": []}
    assert phone.axe_violations() == []


def test_a_leader_cannot_open_the_flags_and_sees_only_the_own_townships_photos(phone, live_app):
    """The photos are served by the scoped photo route: the leader of the first township opens those
    of visits in the township, and gets a 404 for the others, as for any row outside it."""
    import sqlalchemy as sa

    from relief.extensions import db
    from relief.models import User, Visit, VisitPhoto

    phone.login("demo-inspector")
    _open(phone, "reused_photo")
    srcs = phone.page.evaluate("Array.from(document.querySelectorAll('.reused-photo img'), i => i.getAttribute('src'))")
    assert len(srcs) >= 4  # the demo's two pairs at least (see above)
    with live_app.app_context():
        own = db.session.scalar(sa.select(User.township_id).where(User.username == "demo-leader"))
        township_of = dict(db.session.execute(sa.select(VisitPhoto.id, Visit.township_id)
                                              .join(Visit, Visit.id == VisitPhoto.visit_id)).all())
    expected = {src: 200 if township_of[int(src.rsplit("/", 1)[1])] == own else 404 for src in srcs}
    phone.page.context.clear_cookies()
    phone.login("demo-leader")
    assert phone.goto(f"/flags/?year={YEAR}").status == 403
    assert {src: phone.page.request.get(phone.base + src).status for src in srcs} == expected
