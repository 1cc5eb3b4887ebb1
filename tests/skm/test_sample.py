import pytest

from skm import InvalidOption, sample


def test_missing_respondents_are_counted():
    result = sample.adequacy(500, 200)
    assert (result.required, result.missing, result.adequate) == (217, 17, False)
    assert result.describe("id") == "sampel belum memadai: kurang 17 responden"
    assert sample.adequacy(500, 300).missing == 0
    assert sample.adequacy(500, 217).describe("en") == "sample adequate"


def test_zero_and_negative_population():
    assert sample.krejcie_morgan(0) == 0
    assert sample.krejcie_morgan(1) == 1
    with pytest.raises(InvalidOption):
        sample.krejcie_morgan(-1)


def test_sample_never_exceeds_population_and_grows():
    previous = 0
    for n in range(1, 3000, 7):
        s = sample.krejcie_morgan(n)
        assert s <= n and s >= previous
        previous = s
