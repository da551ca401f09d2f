"""The register as a workbook: the usual 风险分级管控清单, in and out (Excel or CSV).

An import checks every row first and imports nothing when any row is bad, naming each
bad row and column; a good one adds the lines it does not have and updates those it has
(a line is known by its name and area), grading each again under the rules in force. The
computed columns (风险值, 风险等级, 风险颜色, 管控层级) are written on export and
recomputed on import."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from hazard_ledger.organisations.models import Enterprise, User
from hazard_ledger.prevention import grading
from hazard_ledger.prevention.models import RiskPoint
from hazard_ledger.prevention.operations import (
    RiskPointInput, apply_assessment, register_for_writing, register_for_reading, register_lines,
)
from hazard_ledger.tabular import Column, ImportRefused, Problem, Row, read_table, write_table

KIND_WORDS = {"place": "场所", "equipment": "设备设施", "activity": "作业活动"}
KIND_ALIASES = {"设备": "equipment", "作业": "activity", "区域": "place", "部位": "place"}
METHOD_WORDS = {"lec": "LEC", "matrix": "风险矩阵"}
METHOD_ALIASES = {"lec": "lec", "作业条件危险性评价法": "lec", "风险矩阵": "matrix", "matrix": "matrix", "ls": "matrix",
                  "风险矩阵法": "matrix"}
LEVEL_WORDS = {"major": "重大风险", "high": "较大风险", "general": "一般风险", "low": "低风险"}
COLOUR_WORDS = {"red": "红", "orange": "橙", "yellow": "黄", "blue": "蓝"}
TIER_WORDS = {"company": "公司级", "workshop": "车间级", "team": "班组级", "post": "岗位级"}

COLUMNS = [
    Column("序号", 6, "integer"),
    Column("风险点名称", 18),
    Column("类型", 10),
    Column("所在区域", 14),
    Column("危险因素", 30),
    Column("管控措施", 30),
    Column("评价方法", 10),
    Column("L", 6, "number"),
    Column("E", 6, "number"),
    Column("C", 6, "number"),
    Column("S", 6, "number"),
    Column("风险值", 8, "number"),
    Column("风险等级", 10),
    Column("风险颜色", 8),
    Column("管控层级", 10),
    Column("排查内容", 30),
]
REQUIRED = ("风险点名称", "类型", "所在区域", "危险因素", "管控措施", "评价方法", "L")
# a cell's list: one item a line, or separated by ；or ;
ITEMS = re.compile(r"[\n；;]+")


def _items(value: Any) -> list[str]:
    return [item.strip() for item in ITEMS.split(str(value)) if item.strip()]


def _text(value: Any, limit: int) -> str:
    text = str(value).strip()
    if len(text) > limit:
        raise ValueError(f"超过 {limit} 字 / longer than {limit} characters")
    return text


def _one_of(value: Any, words: dict[str, str], aliases: dict[str, str]) -> str:
    text = str(value).strip()
    for key, word in words.items():
        if text in (word, key):
            return key
    if text.lower() in aliases:
        return aliases[text.lower()]
    if text in aliases:
        return aliases[text]
    raise ValueError(f"须为 {'、'.join(words.values())} 之一 / one of {', '.join(words)}")


def check_row(row: Row, rules: grading.RiskRules) -> tuple[RiskPointInput | None, list[Problem]]:
    """The risk point a row describes, or the problems that stop it."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}

    def take(column: str, parse, required: bool = True):
        raw = row.values.get(column)
        if raw is None:
            if required:
                problems.append(Problem(row.number, column, "必填 / required"))
            return None
        try:
            return parse(raw)
        except ValueError as error:
            problems.append(Problem(row.number, column, str(error)))
            return None

    values["name"] = take("风险点名称", lambda v: _text(v, 200))
    values["kind"] = take("类型", lambda v: _one_of(v, KIND_WORDS, KIND_ALIASES))
    values["location"] = take("所在区域", lambda v: _text(v, 200))
    values["dangers"] = take("危险因素", _lines)
    values["controls"] = take("管控措施", _lines)
    values["checks"] = take("排查内容", _lines, required=False) or []
    method = take("评价方法", lambda v: _one_of(v, METHOD_WORDS, METHOD_ALIASES))
    factors = {name: row.values.get(name.upper()) for name in grading.ALL_FACTORS}
    if method is not None:
        try:
            grading.assess(method, factors, rules)
        except grading.GradingError as error:
            problems.extend(Problem(row.number, name.upper() if name in grading.ALL_FACTORS else "评价方法", problem)
                            for name, problem in error.problems.items())
    if problems:
        return None, problems
    return RiskPointInput(method=method, **factors, **values), []


def _lines(value: Any) -> list[str]:
    items = _items(value)
    if not items:
        raise ValueError("不能为空 / must not be empty")
    if len(items) > 100 or any(len(item) > 500 for item in items):
        raise ValueError("至多 100 条，每条至多 500 字 / at most 100 items of 500 characters")
    return items


def import_register(session: Session, actor: User | None, enterprise: Enterprise, path: Path | str,
                    rules: grading.RiskRules, now: datetime) -> list[RiskPoint]:
    """Check every row, then add or update them all; or raise ImportRefused and change nothing."""
    register_for_writing(session, actor, enterprise.id)
    table = read_table(path)
    missing = [column for column in REQUIRED if column not in table.headers]
    if missing:
        raise ImportRefused([Problem(1, column, "缺少此列 / column missing") for column in missing])
    checked, problems, seen = [], [], {}
    for row in table.rows:
        data, row_problems = check_row(row, rules)
        if data is not None:
            key = (data.name, data.location)
            if key in seen:
                row_problems.append(Problem(row.number, "风险点名称", f"与第 {seen[key]} 行重复（同一区域同名）/ the same "
                                                                   f"name and area as row {seen[key]}"))
            seen.setdefault(key, row.number)
            checked.append(data)
        problems.extend(row_problems)
    if not table.rows:
        problems.append(Problem(2, "-", "没有数据行 / no rows"))
    if problems:
        raise ImportRefused(problems)
    existing = {(point.name, point.location): point for point in session.scalars(
        select(RiskPoint).where(RiskPoint.enterprise_id == enterprise.id))}
    imported = []
    for data in checked:
        point = existing.get((data.name, data.location))
        if point is None:
            point = RiskPoint(enterprise_id=enterprise.id, created_at=now)
            session.add(point)
        apply_assessment(point, data, grading.assess(data.method, vars(data), rules), now)
        imported.append(point)
    session.flush()
    return imported


def register_rows(points: list[RiskPoint]) -> Iterator[list]:
    for number, point in enumerate(points, start=1):
        yield [number, point.name, KIND_WORDS[point.kind.value], point.location, "\n".join(point.dangers),
               "\n".join(point.controls), METHOD_WORDS[point.method.value], point.l, point.e, point.c, point.s,
               point.score, LEVEL_WORDS[point.level.value], COLOUR_WORDS[point.colour], TIER_WORDS[point.tier],
               "\n".join(point.checks)]


def export_register(session: Session, viewer: User | None, enterprise: Enterprise, target: str | IO[bytes],
                    fmt: str) -> int:
    """Write the register; answers how many lines. `viewer` None: the command line."""
    if viewer is not None:
        register_for_reading(session, viewer, enterprise.id)
    points = register_lines(session, enterprise.id)
    write_table(target, fmt, COLUMNS, register_rows(points), title="风险分级管控清单")
    return len(points)
