"""Extensions, created unbound; the factory binds them to the app."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_smorest import Api
from flask_talisman import Talisman
from flask_wtf import CSRFProtect

from .db import Database
from .ratelimit import client_address

db = Database()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(client_address, default_limits=[], headers_enabled=True)
api = Api()
api.DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists its own errors (webapp/api/spec_errors.py)
talisman = Talisman()
