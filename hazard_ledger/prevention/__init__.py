"""Dual prevention (双重预防: 风险分级管控 and 隐患排查治理, DB37/T 2882 and 2883): the
register of risk points graded in four colours, inspection plans that the scheduler
turns into inspections, and failed checks that become hazards of the ledger through
its own reporting operation."""
