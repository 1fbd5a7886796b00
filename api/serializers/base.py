from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not declare (a typo must not be silently ignored)."""

    def to_internal_value(self, data):
        errors = {}
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            for key in data.keys():
                if key not in writable:
                    errors[key] = [serializers.ErrorDetail("Unknown field.", code="unknown_field")]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if errors and isinstance(exc.detail, dict):
                exc.detail.update(errors)
            raise
        if errors:
            raise serializers.ValidationError(errors)
        return value
