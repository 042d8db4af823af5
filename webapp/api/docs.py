"""A Swagger UI for the OpenAPI document, served from the swagger-ui-bundle package (no CDN)."""

from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint, render_template, send_from_directory

from ..security import public

bp = Blueprint("api_docs_ui", __name__)
SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)


@bp.route("/api/docs")
@public
def swagger_ui():
    return render_template("api_docs.html")


@bp.route("/api/docs/assets/<path:filename>")
@public
def swagger_assets(filename: str):
    return send_from_directory(SWAGGER_DIR, filename, max_age=86400)
