from collections.abc import Iterator
from datetime import date

import pytest

from permitcard.shared import clock

TODAY = date(2025, 9, 1)  # a Monday; 12 working days later is 17 Sep 2025


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[date]:
    with clock.frozen(TODAY):
        yield TODAY
