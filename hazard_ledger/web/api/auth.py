from hazard_ledger.organisations.schemas import TokenIn, TokenOut, UserOut
from hazard_ledger.web.api import Blueprint
from hazard_ledger.web.auth import Unauthorized, issue_token, login_required_api
from hazard_ledger.web.limits import authenticate_within_limits

blp = Blueprint("auth", __name__, description="Tokens and the caller")


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenIn)
@blp.response(200, TokenOut)
@blp.doc(security=[])
def create_token(credentials):
    """Exchange a username and password for a bearer token. Failed logins are limited
    together with the sign-in page's (429 with Retry-After)."""
    user = authenticate_within_limits(credentials["username"], credentials["password"])
    if user is None:
        raise Unauthorized()
    token, expires_at = issue_token(user)
    return {"token": token, "expires_at": expires_at}


@blp.route("/me")
@login_required_api
@blp.response(200, UserOut)
def me(caller):
    """The caller."""
    return caller
