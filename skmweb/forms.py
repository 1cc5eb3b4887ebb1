"""Form pieces both apps share: text that no database can keep is refused where it is typed, with a message
that says which character, before anything is stored (on PostgreSQL a NUL would fail the insert)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from skm.validation import unstorable_character


class StorableText:
    """A WTForms validator: refuses NUL, lone surrogates and control characters other than tab and new line."""

    def __call__(self, form: FlaskForm, field) -> None:
        bad = unstorable_character(field.data or "")
        if bad:
            message = _("Isian berisi karakter yang tidak dapat disimpan (%(character)s); hapus karakter itu.",
                        character=bad)
            form.unstorable_message = message  # for the page to say, in place of its generic refusal
            raise ValidationError(message)


def unstorable_message(form: FlaskForm) -> str | None:
    """What ``StorableText`` refused in this form, if anything."""
    return getattr(form, "unstorable_message", None)
