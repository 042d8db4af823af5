"""The city profile as the public sees it."""

from marshmallow import Schema, fields

from ..i18n import localized


class DistrictOut(Schema):
    code = fields.String()
    name = fields.Function(lambda d: localized(d, "name"))
    name_zh = fields.String()
    name_en = fields.String()
