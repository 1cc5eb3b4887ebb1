import pytest

from skm import CODES, InvalidResponse, validate_response
from skm.questionnaire import COMMENT_MAX_LENGTH

FULL = {f"answers.{code}": "3" for code in CODES}


def test_flat_form_fields_are_validated_and_ordered():
    response = validate_response({**FULL, "answers.waktu": "1", "csrf_token": "x", "profile.usia": "60+",
                                  "profile.pendidikan": "", "comment": "  Antrian lama  "})
    assert list(response.answers) == list(CODES)
    assert response.answers["waktu"] == 1
    assert dict(response.profile) == {"usia": "60+"}  # a blank choice is "tidak ingin menjawab"
    assert response.comment == "Antrian lama"


def test_nested_json_shape():
    response = validate_response({"answers": dict.fromkeys(CODES, 4), "profile": {"jenis_kelamin": "P"}})
    assert response.to_dict() == {"answers": dict.fromkeys(CODES, 4), "profile": {"jenis_kelamin": "P"},
                                  "comment": None}


@pytest.mark.parametrize("change, field, code", [
    ({"answers.waktu": "5"}, "answers.waktu", "score_out_of_range"),
    ({"answers.waktu": "0"}, "answers.waktu", "score_out_of_range"),
    ({"answers.waktu": "tiga"}, "answers.waktu", "score_not_integer"),
    ({"answers.waktu": "2.5"}, "answers.waktu", "score_not_integer"),
    ({"answers.waktu": "٣"}, "answers.waktu", "score_not_integer"),  # a non-ASCII digit
    ({"answers.waktu": True}, "answers.waktu", "score_not_integer"),
    ({"answers.waktu": ""}, "answers.waktu", "missing_unsur"),
    ({"answers.U3": "3"}, "answers.U3", "unknown_unsur"),
    ({"profile.agama": "x"}, "profile.agama", "unknown_profile_field"),
    ({"profile.pendidikan": "SMK"}, "profile.pendidikan", "bad_profile_choice"),
    ({"comment": "x" * (COMMENT_MAX_LENGTH + 1)}, "comment", "comment_too_long"),
    ({"comment": 12}, "comment", "comment_not_text"),
])
def test_bad_input_names_the_field(change, field, code):
    with pytest.raises(InvalidResponse) as err:
        validate_response({**FULL, **change})
    assert [(p.field, p.code) for p in err.value.problems] == [(field, code)]
    assert field in err.value.render("id")[0]


def test_every_problem_is_listed_at_once():
    data = {"answers.persyaratan": "9", "answers.sarana": "x", "profile.usia": "99", "comment": "x" * 5000}
    with pytest.raises(InvalidResponse) as err:
        validate_response(data)
    fields = [p.field for p in err.value.problems]
    assert "answers.persyaratan" in fields and "answers.sarana" in fields
    assert "profile.usia" in fields and "comment" in fields
    assert {f"answers.{c}" for c in CODES} <= set(fields)  # the other seven are missing
    assert len(err.value.render("en")) == len(err.value.problems)


def test_partial_answers_allowed_when_not_required_but_not_none():
    assert validate_response({"answers.waktu": 2}, require_all=False).answers == {"waktu": 2}
    with pytest.raises(InvalidResponse) as err:
        validate_response({"comment": "hi"}, require_all=False)
    assert err.value.problems[0].code == "no_answers"


@pytest.mark.parametrize("data", [None, [], "answers", {"answers": [1, 2]}, {"answers": {}, "profile": "L"}])
def test_wrong_shapes(data):
    with pytest.raises(InvalidResponse):
        validate_response(data)


def test_messages_in_both_languages():
    with pytest.raises(InvalidResponse) as err:
        validate_response({**FULL, "answers.biaya": "7"})
    assert err.value.render("id") == ["answers.biaya: nilai 7 di luar rentang 1 sampai 4"]
    assert err.value.render("en") == ["answers.biaya: score 7 is outside 1 to 4"]
