"""Fields shared by the schemas."""

from decimal import Decimal

from marshmallow import fields


class Number(fields.Field):
    """A Decimal shown as a JSON number: an integer when whole (1, not "1.000"), else a float."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        value = Decimal(value)
        return int(value) if value == value.to_integral_value() else float(value)


class StrictBoolean(fields.Boolean):
    """A JSON boolean only: 0, 1, "yes" or "true" are refused, as the document's `boolean` says."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
