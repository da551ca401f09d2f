from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import BooleanField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from hazard_ledger.validation import PHONE

MAX_PHOTOS = 5


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=256)])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(), Length(max=256)])
    new_password = PasswordField(_l("新密码"), validators=[
        DataRequired(), Length(min=8, max=256, message=_l("密码至少 8 位"))])
    repeat_password = PasswordField(_l("再次输入新密码"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("两次输入的新密码不一致"))])


class ReportForm(FlaskForm):
    # the form's idempotency key (hazard_ledger.web.submissions)
    submission = HiddenField()
    location = StringField(_l("隐患地点"), validators=[DataRequired(message=_l("请填写隐患地点")), Length(max=200)])
    description = TextAreaField(_l("隐患描述"), validators=[DataRequired(message=_l("请描述看到的隐患")),
                                                          Length(max=4000)])
    # a pick list ([reports] categories) with free text allowed: an <input list=…> and its <datalist>
    category = StringField(_l("隐患类别"), validators=[Optional(), Length(max=50)])
    name = StringField(_l("姓名"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("电话"), validators=[Optional(), Regexp(PHONE, message=_l("电话号码格式不正确"))])
    anonymous = BooleanField(_l("匿名举报"))
    photos = MultipleFileField(_l("照片（最多 5 张）"))

    def validate_photos(self, field):
        files = [f for f in field.data or [] if f and f.filename]
        if len(files) > MAX_PHOTOS:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("最多上传 5 张照片"))


class ClaimForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=100)])
    phone = StringField(_l("电话"), validators=[DataRequired(), Regexp(PHONE, message=_l("电话号码格式不正确"))])
    payout_account = StringField(_l("收款账户"), validators=[DataRequired(), Length(min=4, max=100)])


# A location poster's link carries its location signed with the app's key, bound to the
# enterprise's report token: the form fills it in, and nobody can make a link that puts
# words of their own on an enterprise's form.
def _locations(report_token: str) -> URLSafeSerializer:
    # the token in the salt, not in the payload: the same binding, a shorter link (a less dense QR code)
    return URLSafeSerializer(current_app.secret_key, salt=f"poster-location:{report_token}")


def signed_location(report_token: str, location: str) -> str:
    return _locations(report_token).dumps(location)


def poster_location(report_token: str, signed: str | None) -> str | None:
    if not signed:
        return None
    try:
        location = _locations(report_token).loads(signed)
    except (BadSignature, ValueError, TypeError):
        return None
    return location if isinstance(location, str) else None


def accepts_photos(count: int):
    """A page form that carries up to `count` photos: its whole request may be that many
    times the photo limit ([uploads] max_bytes, the app's MAX_CONTENT_LENGTH), so that
    the form's fields are read and one photo too large is named next to the photo field,
    with everything typed kept. views/__init__.py applies it before the CSRF check reads
    the body."""

    def mark(view):
        view.photos_allowed = count
        return view

    return mark
