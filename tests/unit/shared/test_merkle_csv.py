"""The Merkle tree hash against Certificate Transparency's reference vectors, and the CSV writer's
neutralising of spreadsheet formulas."""

import csv
import io
from datetime import UTC, date, datetime

import pytest

from permitcard.shared import csvexport, merkle

# The inputs and roots of the CT reference implementation's tests (merkle_tree_test).
LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43", bytes(range(0x50, 0x58)),
          bytes(range(0x60, 0x70))]
ROOTS = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]


@pytest.mark.parametrize("n", range(1, 9))
def test_the_root_matches_the_rfc_9162_reference_vectors(n):
    assert merkle.root(LEAVES[:n]).hex() == ROOTS[n - 1]


def test_the_empty_tree_and_the_order_of_leaves():
    assert merkle.root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.root(LEAVES[:4]) != merkle.root([LEAVES[1], LEAVES[0], *LEAVES[2:4]])


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                  "\tx", "\rx", "＝1+1", "＋1", "－1", "＠A1"])
def test_a_cell_that_would_be_a_formula_is_shown_as_text(text):
    assert csvexport.cell(text) == "'" + text


def test_plain_values_numbers_dates_and_times_with_their_offset():
    assert csvexport.cell("Zhang San") == "Zhang San"
    assert csvexport.cell(-5) == -5 and csvexport.cell(None) == ""
    assert csvexport.cell(date(2026, 11, 28)) == "2026-11-28"
    assert csvexport.cell(datetime(2026, 11, 28, 10, 32, 46, tzinfo=UTC)) == "2026-11-28T18:32:46+08:00"
    assert csvexport.cell(datetime(2026, 11, 28, 10, 32, 46)) == "2026-11-28T18:32:46+08:00"  # SQLite: naive UTC


def test_the_file_is_utf8_with_a_bom_and_reads_back():
    data = csvexport.to_bytes(["名字", "note"], [["张三", "=1+1"]])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["名字", "note"], ["张三", "'=1+1"]]
