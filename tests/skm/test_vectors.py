"""Every published case of shared/skm-vectors.json, reproduced exactly."""
from decimal import Decimal


from skm import index, sample


def cases(vectors, key):
    return vectors[key]


def test_ikm_cases(skm_vectors):
    assert skm_vectors["ikm_cases"], "no ikm cases in the vectors file"
    for case in skm_vectors["ikm_cases"]:
        options = index.IndexOptions(weight=case["weight"])
        if "nrr" in case:
            result = index.from_nrr(case["nrr"], options)
        else:
            result = index.from_responses(case["responses"], options)
        expected = case["expected"]
        assert str(result.konversi) == expected["konversi"], case["name"]
        assert result.mutu == expected["mutu"], case["name"]
        assert result.kinerja("id") == expected["kinerja"], case["name"]
        assert result.options.weight == case["weight"]


def test_mutu_boundaries(skm_vectors):
    for konversi, grade in skm_vectors["mutu_boundaries"]:
        assert index.mutu(konversi) == grade, konversi
        assert index.mutu(Decimal(konversi)) == grade, konversi


def test_krejcie_morgan_table(skm_vectors):
    for population, size in skm_vectors["krejcie_morgan_sample_size"]:
        assert sample.krejcie_morgan(population) == size, population
