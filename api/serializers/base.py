from rest_framework import serializers

# The style of a multi-line text field (DRF's own convention): every other
# writable text field of the API is a SingleLineField.
MULTI_LINE = {"base_template": "textarea.html"}


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


class SingleLineField(serializers.CharField):
    """A one-line text field of the API (subjects, titles, names): refuses a
    line break, naming the field, with portal.forms' validator; multi-line
    fields say so with ``style={"base_template": "textarea.html"}``."""

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        from django.utils.text import capfirst

        from portal.forms import SingleLineValidator

        self.validators = [*self.validators, SingleLineValidator(capfirst(self.label or field_name.replace("_", " ")))]
