"""Every error a person or device can meet is a 4xx/5xx with a stable code and an Indonesian sentence."""

from __future__ import annotations


def test_unknown_api_path_is_a_json_404_with_code_and_message(client):
    r = client.get("/api/does-not-exist")
    assert r.status_code == 404
    body = r.json()
    assert body["code"] == "http.not_found"
    assert "tidak ditemukan" in body["message"]
    assert body["details"] == {}


def test_a_browser_gets_the_same_message_as_an_html_page(client):
    r = client.get("/halaman-tidak-ada", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "tidak ditemukan" in r.text and 'lang="id"' in r.text


def test_english_is_served_when_the_browser_prefers_it(client):
    r = client.get("/api/nothing", headers={"accept-language": "en-GB,en;q=0.9"})
    assert r.json()["message"].startswith("The page or data you asked for was not found")


def test_wrong_method_is_a_405_not_a_500(client):
    r = client.post("/healthz")
    assert r.status_code == 405
    assert r.json()["code"] == "http.method_not_allowed"


def test_the_shell_is_served_with_revalidation_and_assets_are_immutable(client):
    shell = client.get("/")
    assert shell.status_code == 200 and "MPP Digital" in shell.text
    assert shell.headers["cache-control"] == "no-cache"
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and sw.headers["cache-control"] == "no-cache"
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    asset = next(part.split('"')[0] for part in shell.text.split('src="')[1:] if part.startswith("/assets/"))
    r = client.get(asset, headers={"accept-encoding": "gzip"})
    assert "immutable" in r.headers["cache-control"]
    assert r.headers.get("content-encoding") == "gzip"
