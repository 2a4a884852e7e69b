"""Pure rules of loss and replacement: refusals, amounts typed at the counter."""

from permitcard.cards import domain


def test_amounts_typed_at_the_counter_are_exact_fen():
    assert domain.parse_amount_fen("20") == 2000 and domain.parse_amount_fen("¥20.00") == 2000
    assert domain.parse_amount_fen("２０.５") == 2050  # full-width digits from a Chinese keyboard
    for bad in ("20.001", "-1", "NaN", "", "1e3x", "Infinity"):
        assert domain.parse_amount_fen(bad) is None, bad


def test_payment_must_be_exactly_the_fee_with_a_known_method():
    assert domain.payment_problem(fee_fen=2000, amount_fen=2000, method="cash") is None
    assert domain.payment_problem(fee_fen=2000, amount_fen=1999, method="cash")[0] == "amount"  # type: ignore[index]
    assert domain.payment_problem(fee_fen=2000, amount_fen=2000, method="cheque")[0] == "method"  # type: ignore[index]
    assert domain.payment_problem(fee_fen=0, amount_fen=0, method="cash") is not None


def test_loss_restore_and_replacement_rules():
    assert domain.loss_refusal("active") is None
    assert domain.loss_refusal("suspended") and domain.loss_refusal("issued") and domain.loss_refusal("invalidated")
    assert domain.restore_refusal("suspended", replacement_applied=False) is None
    assert "replacement" in (domain.restore_refusal("suspended", replacement_applied=True) or "")
    kw = {"replacement_applied": False, "other_open_application": False}
    assert domain.replacement_refusal("suspended", "lost", **kw) is None
    assert domain.replacement_refusal("active", "damaged", **kw) is None
    assert "Report the card lost first" in (domain.replacement_refusal("active", "lost", **kw) or "")
    assert domain.replacement_refusal("suspended", "lost", replacement_applied=True, other_open_application=False)
    assert domain.unusable_reason("suspended") and domain.unusable_reason("invalidated")
    assert domain.unusable_reason("active") is None
