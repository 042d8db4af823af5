"""marshmallow schemas: `XIn` parses requests, `XOut` shapes responses, per capability."""
