

def test_a_family_name_typed_with_diacritics_matches_its_mrz_form():
    from permitcard.photos.domain import names_equal

    assert names_equal("García López", "GARCIA-LOPEZ") and not names_equal("Garcia", "Garcias")
