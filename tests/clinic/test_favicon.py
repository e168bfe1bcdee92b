"""Every page names its icon, and /favicon.ico (which browsers ask for anyway) leads to it."""


def test_favicon_ico_leads_to_the_icon_and_pages_name_it(client):
    asked = client.get("/favicon.ico")
    assert asked.status_code == 301
    icon = client.get(asked["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content)
    page = client.get("/accounts/login/")
    assert f'<link rel="icon" href="{asked["Location"]}"'.encode() in page.content


def test_favicon_takes_only_reads(client):
    assert client.post("/favicon.ico").status_code == 405
