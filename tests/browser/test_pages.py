import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_and_admin_login_render(live_server, phone_page):
    phone_page.goto(live_server.url + "/")
    assert phone_page.get_by_role("heading", name="Getting ready for your visit").is_visible()
    phone_page.get_by_role("link", name="admin site").click()
    # The admin has no sign-in of its own: the staff one, with lockout and the second factor.
    phone_page.wait_for_url("**/accounts/login/?next=/admin/")
    assert phone_page.get_by_label("Username").is_visible()
    assert phone_page.get_by_label("Password").is_visible()
