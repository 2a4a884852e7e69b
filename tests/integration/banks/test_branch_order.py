"""One order of branches everywhere: grouped by bank, the bank's main branch first."""

from __future__ import annotations

from fastapi.testclient import TestClient

from permitcard.db import Database
from tests.card_factories import seed_branches

EXPECTED = ["CCB-DG-BRANCH", "CCB-DG-CHANGAN", "CCB-DG-SONGSHANHU", "CGB-DG-MAIN", "CGB-DG-HUMEN", "CGB-DG-ZHONGXIN"]


def test_api_and_page_list_branches_by_bank_main_branch_first(db: Database, client: TestClient) -> None:
    seed_branches(db)
    codes = [b["code"] for b in client.get("/api/v1/branches").json()]
    assert codes == EXPECTED
    html = client.get("/branches").text
    positions = [html.find(name) for name in ("Dongguan Branch", "Chang&#39;an Sub-branch", "Songshan Lake",
                                                "Dongguan Main Branch", "Humen Sub-branch", "Zhongxin Branch")]
    assert -1 not in positions and positions == sorted(positions), positions
