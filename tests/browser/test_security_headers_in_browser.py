"""The API documentation works under its Content-Security-Policy (scripts from files only, no eval)."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_closed_loop_in_browser import watch_policy

pytestmark = pytest.mark.timeout(300)


def test_the_api_documentation_renders_every_operation_under_its_policy(browser, platform):
    context = browser.new_context()
    refused = []
    watch_policy(context, refused)
    try:
        page = context.new_page()
        answer = page.goto(f"{platform.url}/docs")
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)
        page.locator(".opblock-summary").first.click()  # an operation opens: the page's scripts run
        expect(page.locator(".opblock-body").first).to_be_visible()
        assert page.locator(".opblock").count() > 50
    finally:
        context.close()
    assert not refused, f"the Content-Security-Policy refused what the documentation page does: {refused}"
