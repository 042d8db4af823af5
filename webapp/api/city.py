"""The city profile: districts."""

from flask_smorest import Blueprint

from ..extensions import db
from ..schemas.city import DistrictOut
from ..security import public
from ..services import city

blp = Blueprint("api_city", __name__, description="City profile")


@blp.route("/districts", methods=["GET"])
@public
@blp.response(200, DistrictOut(many=True))
def districts():
    """The city's districts: code and name."""
    return city.districts(db.session)
