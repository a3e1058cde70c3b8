"""The API's own pages: the interactive documentation and the supervisors' login page.

Swagger UI's files come with the `fastapi-offline` package and are served by the API itself:
the documentation works on a network without internet, and no third-party script runs on the
pages where staff type passwords and paste tokens. The pages run no inline script (the
Content-Security-Policy forbids it, api/perimeter.py): each starts from a file served here.
"""

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse
from starlette.exceptions import HTTPException

router = APIRouter(include_in_schema=False)

VENDORED = Path(fastapi_offline.__file__).parent / "static"  # Swagger UI's own build
OWN = Path(__file__).resolve().parent.parent / "static"
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (VENDORED / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (VENDORED / "swagger-ui.css", "text/css"),
    "favicon.png": (VENDORED / "favicon.png", "image/png"),
    "swagger-init.js": (OWN / "swagger-init.js", "text/javascript"),
    "login.js": (OWN / "login.js", "text/javascript"),
    "siao.css": (OWN / "siao.css", "text/css"),
    "report.css": (OWN / "report.css", "text/css"),  # the activity report's page
}
# Relative links throughout: the pages work under a path prefix too.
DOCS_PAGE = (OWN / "docs.html").read_text(encoding="utf-8")
LOGIN_PAGE = (OWN / "login.html").read_text(encoding="utf-8")


@router.get("/docs")
async def docs() -> HTMLResponse:
    return HTMLResponse(DOCS_PAGE)


@router.get("/login")
async def login_page() -> HTMLResponse:
    """Supervisors log in here so the Temporal Web UI's codec calls carry their session."""
    return HTMLResponse(LOGIN_PAGE)


@router.get("/docs-assets/{name}")
async def asset(name: str) -> FileResponse:
    found = ASSETS.get(name)  # a fixed list: no path is ever built from the request
    if found is None:
        raise HTTPException(404)
    path, media_type = found
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "max-age=3600"})
