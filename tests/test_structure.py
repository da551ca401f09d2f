"""Where concepts live (issue 16): checked by reading the source, so a role check or a
walk of the tree written somewhere else fails here before it drifts from the one place."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import ROOT

# Role comparisons: the permissions module; the rulebook (its table of who may fire which
# event); the models and the vocabulary (where a role is declared). The demo's people are
# data, not checks.
ROLES_MAY_BE_NAMED_IN = {
    "hazard_ledger/permissions.py",
    "hazard_ledger/workflow/rulebook.py",
    "hazard_ledger/enums.py",
    "hazard_ledger/demo.py",
}


def _source_lines(pattern: str, *paths: str) -> list[str]:
    """`git grep` over the package as it stands in the working tree (tracked and new files)."""
    found = subprocess.run(["git", "grep", "-n", "--untracked", "-E", pattern, "--", *paths],
                           cwd=ROOT, capture_output=True, text=True)
    assert found.returncode in (0, 1), found.stderr
    return found.stdout.splitlines()


def test_roles_are_compared_only_in_the_permissions_module_the_rulebook_and_the_models():
    elsewhere = [line for line in _source_lines(r"\bRole\.", "hazard_ledger")
                 if line.split(":", 1)[0] not in ROLES_MAY_BE_NAMED_IN
                 and not line.split(":", 1)[0].endswith("/models.py")]
    assert elsewhere == []


def test_templates_ask_the_permissions_not_the_role():
    assert _source_lines(r"\.role\b", "hazard_ledger/web/templates") == []


def test_the_jurisdiction_tree_is_walked_only_in_organisations_tree():
    # a walk: a recursive CTE, or the parent links read into Python
    walks = _source_lines(r"recursive=True|Jurisdiction\.parent_id\)", "hazard_ledger")
    assert [line for line in walks if not line.startswith("hazard_ledger/organisations/tree.py:")] == []


# a notice's form lists an enterprise's open hazards, those past their deadline first
# (rectified or not): a sort of the choices, not a judgement of overdue
SORTS_BY_DEADLINE = "hazard_ledger/web/views/union.py"


def test_overdue_is_written_in_sql_once():
    # "overdue" as SQL: a hazard's deadline compared with today, outside its one
    # definition, Hazard.is_overdue (hazards/models.py)
    written = [line for line in _source_lines(r"Hazard\.deadline *< *(today|TODAY)\b", "hazard_ledger")
               if not re.match(rf"(hazard_ledger/hazards/models\.py|{SORTS_BY_DEADLINE}):", line)]
    assert written == []
