"""The pages work from the keyboard, every control has a name a screen reader says, and the field app fits a
360-px phone without sideways scrolling."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_closed_loop_in_browser import DESKTOP, PHONE, TIMEOUT, shot, sign_in
from tests.e2e.conftest import OFFICER
from tests.support.platform import DEMO_PASSWORD

# a platform of its own may start inside the first test, on two loaded cores: allow for it
pytestmark = pytest.mark.timeout(300)

# Every visible form control without a name: no <label>, no aria-label, no aria-labelledby, no title.
UNNAMED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.offsetParent !== null && el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby') && !el.title
                && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML.slice(0, 120))"""


def _keyboard_sign_in(page, url, username):
    page.goto(f"{url}/login")
    name, password = page.get_by_label(re.compile("用户名|Username")), page.get_by_label(re.compile("密码|Password"))
    expect(name).to_be_focused()  # the sign-in page puts the cursor in the first field
    page.keyboard.type(username)
    expect(name).to_have_value(username)
    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")


def test_an_officer_signs_in_and_reaches_the_report_form_by_keyboard_on_a_small_phone(browser, platform, screenshots):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT)
    try:
        page = context.new_page()
        _keyboard_sign_in(page, platform.url, OFFICER)
        expect(page).to_have_url(re.compile("/field$"))
        expect(page.get_by_label("问题描述")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.evaluate(UNNAMED) == []
        page.get_by_label("问题描述").focus()
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        shadow = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
        assert outline != "none" or shadow != "none", "the focused field shows no focus ring"
        shot(page, screenshots, "a11y-field-360px")
    finally:
        context.close()


def test_every_control_of_the_command_centre_and_the_worklist_has_a_name(browser, platform):
    context = browser.new_context(viewport=DESKTOP, locale="en")
    context.set_default_timeout(TIMEOUT)
    try:
        for username, landing, ready in (
            ("operator1", "/command$", "#district-map .leaflet-container, #district-map.leaflet-container"),
            ("handler-sanitation-1", "/worklist$", "#worklist"),
        ):
            page = context.new_page()
            _keyboard_sign_in(page, platform.url, username)
            expect(page).to_have_url(re.compile(landing))
            expect(page.locator(ready)).to_have_count(1)  # the page is drawn (the live stream never idles)
            assert page.evaluate(UNNAMED) == [], username
            assert page.evaluate("document.documentElement.lang") in ("zh-CN", "en")
            page.close()
    finally:
        context.close()


# WCAG 2 contrast of each visible text element against the first opaque background behind it.
LOW_CONTRAST = """(minimum) => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.offsetParent === null || !el.childNodes.length) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('.leaflet-container')) continue;
    const style = getComputedStyle(el);
    const [a, b] = [lum(rgb(style.color).slice(0, 3)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && +style.fontWeight >= 700);
    const text = el.textContent.trim().slice(0, 30);
    if (ratio < (large ? 3 : minimum)) found.push(`${el.tagName}.${el.className} "${text}" ${ratio.toFixed(2)}`);
  }
  return found;
}"""


def test_text_has_enough_contrast_on_the_field_app_and_the_command_centre(browser, platform):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(TIMEOUT)
    try:
        for username, landing, ready in ((OFFICER, "/field$", "#where"), ("operator1", "/command$", "#district-map")):
            page = context.new_page()
            sign_in(page, platform.url, username)
            expect(page).to_have_url(re.compile(landing))
            expect(page.locator(ready)).to_have_count(1)
            assert page.evaluate(LOW_CONTRAST, 4.5) == [], username  # WCAG AA for body text
            page.close()
        # the check itself sees a pale grey on white
        page = context.new_page()
        page.set_content('<main><p style="color:#bbb;background:#fff">淡灰色 pale</p></main>')
        assert len(page.evaluate(LOW_CONTRAST, 4.5)) == 1
    finally:
        context.close()
