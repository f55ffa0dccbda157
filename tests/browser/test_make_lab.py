"""`make lab` serves the start notebook. The server is the one the browser tests use (the `lab` fixture of
conftest.py): started by `make lab` on a free local port, with LAB_ARGS for the test settings, then stopped."""

import json
import urllib.request

import pytest


def _get(lab, path: str) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{lab.url}{path}", headers={"Authorization": f"token {lab.token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read()


@pytest.mark.slow
def test_make_lab_serves_the_start_notebook(lab):
    assert lab.make_dir is not None and lab.process.poll() is None, "the server was not started by `make lab`"
    status, body = _get(lab, "/api/contents/notebooks/00-start-here.ipynb")
    assert status == 200
    model = json.loads(body)
    assert model["type"] == "notebook"
    first_cell = "".join(model["content"]["cells"][0]["source"])
    assert "Start here" in first_cell
    status, page = _get(lab, "/lab/tree/notebooks/00-start-here.ipynb")
    assert status == 200 and b"JupyterLab" in page
