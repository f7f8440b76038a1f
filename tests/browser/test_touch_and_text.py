"""Thumb-sized targets and readable text on a 360-px phone: on the cadre's home, the visit form and
the dashboard every link, button, field and select (for a box hidden behind its label, the label)
is at least 44 x 44 px, body text is at least 16 px and secondary text at least 14 px. The chart's
own labels count as text, at the size they are drawn."""
from __future__ import annotations

import pytest

#: measured in the page: every visible control's box, and every visible text's size as drawn
MEASURE = """() => {
  const visible = el => {
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none' || el.closest('[hidden]')) return false;
    if (el.closest('details:not([open])') && !el.closest('summary')) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;  // a 1-px box is visually hidden (a skip link until focused)
  };
  const name = el => {
    const id = el.id ? '#' + el.id : '';
    const cls = el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30);
    return `${el.tagName.toLowerCase()}${id}${cls} "${text}"`;
  };
  const small = [];
  const controls = document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary');
  for (const control of controls) {
    let target = control;
    // a box drawn by its label (radio buttons styled as buttons, check boxes): the label is what is tapped
    if (control.matches('input[type=radio], input[type=checkbox]')) {
      target = control.closest('label, .touch-check') || document.querySelector(`label[for="${control.id}"]`) || control;
    }
    if (!visible(target)) continue;
    const r = target.getBoundingClientRect();
    if (r.width < 44 - 0.5 || r.height < 44 - 0.5) small.push(`${name(target)} ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  const tiny = [];
  const secondary = 'small, .small, .text-secondary, .form-text, .badge, .kpi-sub, .invalid-feedback, figcaption, caption, .app-footer, .chart';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || seen.has(el) || el.closest('script, style, title, noscript, option')) continue;
    seen.add(el);
    if (!visible(el)) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest('svg');
    if (svg) {  // drawn at the scale of its picture
      const box = svg.viewBox.baseVal;
      if (box && box.width) size *= svg.getBoundingClientRect().width / box.width;
    }
    const least = el.closest(secondary) ? 14 : 16;
    if (size < least - 0.05) tiny.push(`${name(el)} ${size.toFixed(1)}px < ${least}px`);
  }
  return {small, tiny};
}"""


def measure(phone, path):
    phone.goto(path)
    phone.page.wait_for_load_state("networkidle")
    return phone.page.evaluate(MEASURE)


def first_household(phone) -> str:
    return phone.page.locator("a[href^='/visits/new?household_id=']").first.get_attribute("href")


@pytest.mark.parametrize("user, paths", [
    ("demo-cadre", ["/", "visit-form"]),
    ("demo-leader", ["/dashboard", "/"]),
    ("demo-admin", ["/dashboard"]),
])
def test_targets_are_thumb_sized_and_text_is_readable(phone, user, paths):
    phone.login(user)
    problems = {}
    for path in paths:
        if path == "visit-form":
            phone.goto("/")
            path = first_household(phone)
        found = measure(phone, path)
        if found["small"] or found["tiny"]:
            problems[path] = found
    assert problems == {}, "\n".join(f"{p}:\n  " + "\n  ".join(f["small"] + f["tiny"]) for p, f in problems.items())


def test_the_measure_does_catch_a_small_target_and_small_text(phone):
    """Guard against a measure that passes everything."""
    phone.login("demo-cadre")
    phone.goto("/")
    phone.page.evaluate("""document.querySelector('main').insertAdjacentHTML('beforeend',
        '<a href="/" id="tiny-link" style="font-size:11px">x</a><p id="tiny-text" style="font-size:12px">小字</p>')""")
    found = phone.page.evaluate(MEASURE)
    assert any("tiny-link" in s for s in found["small"])
    assert any("tiny-text" in s for s in found["tiny"]) and any("tiny-link" in s for s in found["tiny"])
