"""Operations on jurisdictions, enterprises and users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hazard_ledger import permissions
from hazard_ledger.enums import Role
from hazard_ledger.errors import Forbidden, NotFound, ValidationFailed
from hazard_ledger.organisations.levels import WORDS, Level, above, choose_level
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User
from hazard_ledger.security import Passwords, new_report_token


def _require_admin(actor: User | None) -> None:
    if not permissions.may_administer(actor):
        raise Forbidden("仅管理员可操作 / administrators only")


def _unique(session: Session, column, value, field: str) -> None:
    if session.scalar(select(column).where(column == value)) is not None:
        raise ValidationFailed.on(field, f"已存在 / {value!r} is taken")


def jurisdiction_by_code(session: Session, code: str, field: str = "parent") -> Jurisdiction:
    found = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if found is None:
        raise ValidationFailed.on(field, f"没有编码为 {code} 的工会组织 / no jurisdiction with code {code!r}")
    return found


def enterprise_by_code(session: Session, code: str, field: str = "enterprise") -> Enterprise:
    found = session.scalar(select(Enterprise).where(Enterprise.code == code))
    if found is None:
        raise ValidationFailed.on(field, f"没有编码为 {code} 的企业 / no enterprise with code {code!r}")
    return found


def create_jurisdiction(session: Session, actor: User | None, *, code: str, name: str,
                        parent_id: int | None, now: datetime, level: Level | None = None) -> Jurisdiction:
    """Add a union organisation. Its level is `level` when given, else the one its
    GB/T 2260 code states, else one below its parent's (levels.choose_level); never
    above its parent's."""
    _require_admin(actor)
    _unique(session, Jurisdiction.code, code, "code")
    parent = session.get(Jurisdiction, parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        raise ValidationFailed.on("parent_id", "上级工会不存在 / no such parent jurisdiction")
    chosen = choose_level(code, level, parent.level if parent else None)
    if parent is not None and above(chosen, parent.level):
        raise ValidationFailed.on("level", f"不能高于上级工会（{WORDS[parent.level]}）/ a {chosen.value} cannot be "
                                           f"below a {parent.level.value}")
    jurisdiction = Jurisdiction(code=code, name=name, parent_id=parent_id, level=chosen, created_at=now)
    session.add(jurisdiction)
    session.flush()
    return jurisdiction


def list_jurisdictions(session: Session, viewer: User) -> list[Jurisdiction]:
    """The union tree the viewer may read: all for admins, their subtree for inspectors."""
    if not permissions.may_audit(viewer):
        raise Forbidden("仅管理员和监督检查员可查看 / admins and inspectors only")
    return list(session.scalars(
        select(Jurisdiction).where(permissions.jurisdiction_clause(session, viewer)).order_by(Jurisdiction.code)
    ))


def create_enterprise(session: Session, actor: User | None, *, code: str, name: str, jurisdiction_id: int,
                      high_risk: bool, unionized: bool, industry: str | None, now: datetime) -> Enterprise:
    _require_admin(actor)
    _unique(session, Enterprise.code, code, "code")
    if session.get(Jurisdiction, jurisdiction_id) is None:
        raise ValidationFailed.on("jurisdiction_id", "工会组织不存在 / no such jurisdiction")
    enterprise = Enterprise(code=code, name=name, jurisdiction_id=jurisdiction_id, high_risk=high_risk,
                            unionized=unionized, industry=industry, report_token=new_report_token(),
                            created_at=now)
    session.add(enterprise)
    session.flush()
    return enterprise


def list_enterprises(session: Session, viewer: User, code: str | None = None) -> list[Enterprise]:
    query = select(Enterprise).where(permissions.enterprise_clause(session, viewer))
    if code:
        query = query.where(Enterprise.code == code)
    return list(session.scalars(query.order_by(Enterprise.code)))


def visible_enterprise(session: Session, viewer: User, enterprise_id: int) -> Enterprise:
    enterprise = session.scalar(
        select(Enterprise).where(Enterprise.id == enterprise_id, permissions.enterprise_clause(session, viewer))
    )
    if enterprise is None:
        raise NotFound("企业不存在 / no such enterprise")
    return enterprise


@dataclass
class NewUser:
    username: str
    password: str
    role: Role
    enterprise_id: int | None = None
    jurisdiction_id: int | None = None
    name: str | None = None
    email: str | None = None


def create_user(session: Session, actor: User | None, new: NewUser, passwords: Passwords, now: datetime) -> User:
    _require_admin(actor)
    _unique(session, User.username, new.username, "username")
    if permissions.belongs_to_enterprise(new.role):
        if new.enterprise_id is None:
            raise ValidationFailed.on("enterprise_id", "职工和安全管理人员须属于一个企业 / required for this role")
        if session.get(Enterprise, new.enterprise_id) is None:
            raise ValidationFailed.on("enterprise_id", "企业不存在 / no such enterprise")
        jurisdiction_id = None
    elif permissions.belongs_to_jurisdiction(new.role):
        if new.jurisdiction_id is None:
            raise ValidationFailed.on("jurisdiction_id", "监督检查员须属于一个工会组织 / required for this role")
        if session.get(Jurisdiction, new.jurisdiction_id) is None:
            raise ValidationFailed.on("jurisdiction_id", "工会组织不存在 / no such jurisdiction")
        jurisdiction_id = new.jurisdiction_id
    else:
        jurisdiction_id = None
    _check_password(new.password)
    user = User(
        username=new.username, password_hash=passwords.hash(new.password), role=new.role,
        enterprise_id=new.enterprise_id if permissions.belongs_to_enterprise(new.role) else None,
        jurisdiction_id=jurisdiction_id, name=new.name, email=new.email, active=True, created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < 8:
        raise ValidationFailed.on(field, "密码至少 8 位 / at least 8 characters")


# Every request looks up its caller (web/auth.py): a statement built once, where
# Session.get would build its SELECT anew each time
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.execute(_USER_BY_ID, {"user_id": user_id}).scalar_one_or_none()


def user_by_username(session: Session, username: str, field: str = "username") -> User:
    found = session.scalar(select(User).where(User.username == username))
    if found is None:
        raise ValidationFailed.on(field, f"没有用户名为 {username} 的用户 / no user {username!r}")
    return found


def end_sessions(session: Session, user: User) -> None:
    """End every page session and API token of `user` (logout ends them on every device):
    each carries the epoch it was issued in, and no longer matches."""
    user.session_epoch = User.session_epoch + 1  # in the UPDATE itself: two at once both count
    session.flush()


def change_password(session: Session, actor: User | None, user: User, new_password: str, passwords: Passwords,
                    current_password: str | None = None) -> None:
    """Set a new password and end every session and token of the user. An administrator
    (or the command line, actor None) sets anyone's; a user sets their own and must give
    the current one."""
    if not permissions.may_administer(actor):
        if actor.id != user.id:
            raise Forbidden("仅管理员可修改他人的密码 / administrators only")
        if current_password is None or not passwords.verify(user.password_hash, current_password):
            raise ValidationFailed.on("current_password", "当前密码不正确 / the current password is wrong")
    _check_password(new_password, "new_password")
    user.password_hash = passwords.hash(new_password)
    end_sessions(session, user)


def set_active(session: Session, actor: User | None, user: User, active: bool) -> None:
    """Deactivate (ending every session and token at once) or reactivate an account."""
    _require_admin(actor)
    user.active = active
    end_sessions(session, user)


def authenticate(session: Session, username: str, password: str, passwords: Passwords) -> User | None:
    """The active user with these credentials, or None (in the same time either way)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        passwords.dummy_verify()
        return None
    if not passwords.verify(user.password_hash, password) or not user.active:
        return None
    return user
