from typer.testing import CliRunner

from permitcard.cli import app

runner = CliRunner()


def test_calendar_due_prints_the_date_first_then_why():
    result = runner.invoke(app, ["calendar", "due", "2026-02-05"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2026-02-28"
    assert any("2026-02-14" in line and "adjusted working day" in line for line in lines)
    assert any("2026-02-16" in line and "Spring Festival" in line for line in lines)


def test_calendar_due_refuses_a_year_it_cannot_know():
    result = runner.invoke(app, ["calendar", "due", "2026-12-24"])
    assert result.exit_code != 0
    assert "2027" in result.output


def test_calendar_due_rejects_a_non_date():
    result = runner.invoke(app, ["calendar", "due", "yesterday"])
    assert result.exit_code == 2
