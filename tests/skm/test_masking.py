import pytest

from skm.masking import mask_personal_data


@pytest.mark.parametrize("text, expected", [
    ("NIK saya 1472012501900003 tolong dicek", "NIK saya [NIK disamarkan] tolong dicek"),
    ("nik 1472 0125 0190 0003.", "nik [NIK disamarkan]."),
    ("hubungi 0812-3456-7890 ya", "hubungi [telepon disamarkan] ya"),
    ("WA +62 812 3456 7890", "WA [telepon disamarkan]"),
    ("telp (0765) 31234", "telp (0765) 31234".replace("(0765) 31234", "[telepon disamarkan]")),
    ("email budi.s@gmail.com terima kasih", "email [email disamarkan] terima kasih"),
    ("antrian 45 menit, loket 3 tutup jam 12", "antrian 45 menit, loket 3 tutup jam 12"),
    ("Tahun 2024 lebih baik", "Tahun 2024 lebih baik"),
    ("", ""),
    (None, None),
])
def test_masking(text, expected):
    assert mask_personal_data(text) == expected
