"""Partner batches: the envelope must be well formed; each record inside is judged on its own."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from ..messages import N_
from ..services.partners import MAX_RECORDS, Malformed, Record

EXTERNAL_ID = validate.Length(min=1, max=100)
REF = validate.Length(min=1, max=120)


class TripIn(Schema):
    class Meta:
        unknown = EXCLUDE  # a partner's extra fields (line, vehicle...) do not make a record invalid

    external_id = fields.String(required=True, validate=EXTERNAL_ID)
    card_or_account_ref = fields.String(required=True, validate=REF, metadata={"description": "member code"})
    mode = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "bus, bike, shared_bike or walk"},
    )
    distance_km = fields.Decimal(required=True, allow_nan=False)
    boarded_at = fields.AwareDateTime(required=True)

    @post_load
    def record(self, data: dict[str, Any], **_kwargs: Any) -> Record:
        return Record(
            external_id=data["external_id"],
            ref=data["card_or_account_ref"],
            kind=data["mode"],
            quantity=data["distance_km"],
            occurred_at=data["boarded_at"],
            evidence_ref=data["external_id"],
        )


class DepositIn(Schema):
    class Meta:
        unknown = EXCLUDE

    external_id = fields.String(required=True, validate=EXTERNAL_ID)
    account_ref = fields.String(required=True, validate=REF, metadata={"description": "member code"})
    station_id = fields.String(required=True, validate=REF)
    category = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "paper, plastic, metal, glass, textile or kitchen"},
    )
    weight_kg = fields.Decimal(required=True, allow_nan=False)
    deposited_at = fields.AwareDateTime(required=True)

    @post_load
    def record(self, data: dict[str, Any], **_kwargs: Any) -> Record:
        return Record(
            external_id=data["external_id"],
            ref=data["account_ref"],
            kind=data["category"],
            quantity=data["weight_kg"],
            occurred_at=data["deposited_at"],
            evidence_ref=data["station_id"],
        )


class Records(fields.List):
    """Documented as a list of the record schema; loads each object to a Record, or to Malformed
    when its fields cannot be read, so that one bad record does not refuse the whole batch."""

    def __init__(self, schema: type[Schema], **kwargs: Any) -> None:
        super().__init__(fields.Nested(schema), **kwargs)
        self.record_schema = schema()

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Record | Malformed]:
        if not isinstance(value, list):
            raise ValidationError(N_("Not a valid list."))
        if len(value) > MAX_RECORDS:
            raise ValidationError(N_("At most 1000 records per request."))
        if not all(isinstance(item, dict) for item in value):
            raise ValidationError(N_("Each record must be a JSON object."))
        return [self._load(item) for item in value]

    def _load(self, item: dict[str, Any]) -> Record | Malformed:
        try:
            return self.record_schema.load(item)
        except ValidationError:
            external_id = item.get("external_id")
            return Malformed(external_id[:100] if isinstance(external_id, str) else None)


class TripsIn(Schema):
    trips = Records(TripIn, required=True)


class DepositsIn(Schema):
    deposits = Records(DepositIn, required=True)


class RejectedOut(Schema):
    external_id = fields.String(allow_none=True)
    reason = fields.String(
        metadata={"description": "unknown_account, unknown_mode, unknown_category, out_of_range, too_old or invalid"}
    )


class BatchResultOut(Schema):
    accepted = fields.Integer()
    duplicates = fields.Integer()
    rejected = fields.List(fields.Nested(RejectedOut))
