"""Sign-in: the login and logout pages (session cookie) and the API token endpoints.

``POST /api/v1/auth/token`` takes ``{"username", "password"}`` and answers
``{"access_token", "token_type": "bearer", "expires_at"}``; ``DELETE /api/v1/auth/token`` revokes
the bearer token the request is made with. Failures answer 401 (``invalid_credentials``), or 429
with Retry-After while the username or the client address is locked after repeated failures.

The login form is protected against cross-site posts (login CSRF) by asgi-csrf's signed
double-submit token: ``GET /login`` sets the ``csrftoken`` cookie and puts the same value in the
form; a ``POST /login`` without both matching is refused with 403 before any password is checked.
A successful sign-in also sets a long-lived device cookie, which keeps a lock on the username
(someone else guessing) from holding that browser back.
"""

from __future__ import annotations

from urllib.parse import urlencode

from asgi_csrf import asgi_csrf
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from admin_ui.web.api.context import endpoint, json_body, services_of
from admin_ui.web.responses import JSONResponse, error, unauthenticated
from runtime.auth import AuthError, LoginLocked

LOGIN_PATH = "/login"
#: the form field and cookie of the login form's CSRF token (asgi-csrf's names)
LOGIN_CSRF_FIELD = "csrftoken"
#: the name of the site-wide key that signs login CSRF tokens (runtime.auth keeps it)
LOGIN_CSRF_SECRET = "login_csrf"


def login_redirect(request: Request) -> RedirectResponse:
    """Send an anonymous visitor to the login page, coming back to where they were."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN_PATH}?{urlencode({'next': target})}", status_code=303)


def _safe_next(value: str | None) -> str:
    # only paths on this site: no scheme, no host, no "//evil.example" or "/\evil.example"
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


_TEXT = {
    "en": {"title": "Sign in", "username": "Username", "password": "Password", "submit": "Sign in",
           "expired": "The sign-in form expired or did not come from this site; please try again."},
    "zh": {"title": "登录", "username": "用户名", "password": "密码", "submit": "登录",
           "expired": "登录表单已过期或并非来自本站，请重试。"},
}


def device_cookie(settings) -> str:
    """The name of the known-device cookie (next to the session cookie's)."""
    return f"{settings.session_cookie}_device"


def client_address(request: Request) -> str | None:
    # the peer the ASGI server saw; behind a proxy, run the server so that it sets this from
    # the proxy's header (uvicorn --proxy-headers --forwarded-allow-ips …), never trust it here
    return request.client.host if request.client else None


def _login_page(request: Request, *, next_path: str, message: str | None = None, username: str = "", status: int = 200) -> Response:
    services = services_of(request)
    language = request.state.language
    return services.templates.TemplateResponse(
        request,
        "auth/login.html",
        {
            "text": _TEXT[language], "language": language, "next": next_path, "message": message, "username": username,
            "csrftoken": request.scope["csrftoken"](), "csrf_field": LOGIN_CSRF_FIELD,
        },
        status_code=status,
    )


async def login_form(request: Request) -> Response:
    next_path = _safe_next(request.query_params.get("next"))
    if request.state.user is not None:
        return RedirectResponse(next_path, status_code=303)
    return _login_page(request, next_path=next_path)


async def login(request: Request) -> Response:
    services = services_of(request)
    form = await request.form()
    username = form.get("username")
    password = form.get("password")
    next_path = _safe_next(form.get("next") if isinstance(form.get("next"), str) else None)
    username = username if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    settings = services.settings
    device = request.cookies.get(device_cookie(settings))
    try:
        user_id = await run_in_threadpool(
            lambda: services.auth.authenticate(username, password, address=client_address(request), device=device)
        )
    except AuthError as problem:
        status = 429 if isinstance(problem, LoginLocked) else 401
        response = _login_page(request, next_path=next_path, message=problem.message(request.state.language), username=username, status=status)
        if isinstance(problem, LoginLocked):
            response.headers["Retry-After"] = str(problem.retry_after)
        return response
    grant, known = await run_in_threadpool(
        lambda: (services.auth.start_session(user_id), services.auth.remember_device(username, replacing=device))
    )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        device_cookie(settings),
        known.secret,
        max_age=int(settings.auth.device_lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path=LOGIN_PATH,
    )
    response.set_cookie(
        settings.session_cookie,
        grant.secret,
        max_age=int(settings.auth.session_lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


async def logout(request: Request) -> Response:
    services = services_of(request)
    secret = request.state.session_secret
    if secret:
        await run_in_threadpool(services.auth.end_session, secret)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(services.settings.session_cookie, path="/", httponly=True, samesite="lax", secure=services.settings.secure_cookies)
    return response


def create_token(request: Request) -> Response:
    services = services_of(request)
    language = request.state.language
    body = json_body(request)
    if isinstance(body, Response):
        return body
    if not isinstance(body, dict):
        return error(422, "invalid_type", "The body must be a JSON object.", "请求体必须是 JSON 对象。", language)
    for name in ("username", "password"):
        if not isinstance(body.get(name), str) or not body.get(name):
            return error(422, "required", f"'{name}' is required (a string).", f"必须提供 '{name}'（字符串）。", language, field=name)
    try:
        user_id = services.auth.authenticate(body["username"], body["password"], address=client_address(request))
    except LoginLocked as problem:
        return error(429, problem.code, problem.message_en, problem.message_zh, language, headers={"Retry-After": str(problem.retry_after)})
    except AuthError as problem:
        return error(401, problem.code, problem.message_en, problem.message_zh, language)
    grant = services.auth.issue_token(user_id)
    return JSONResponse(
        {"access_token": grant.secret, "token_type": "bearer", "expires_at": grant.expires_at.isoformat()},
        headers={"Cache-Control": "no-store"},
    )


def revoke_token(request: Request) -> Response:
    services = services_of(request)
    token = request.state.token
    if request.state.auth != "token" or not token:
        return unauthenticated(request.state.language)
    services.auth.revoke_token(token)
    return Response(status_code=204)


def me(request: Request) -> Response:
    """Who the request is from: the user record, how they signed in, and the session's CSRF token
    (scripts on our pages send it back as X-CSRF-Token)."""
    if request.state.user is None:
        return unauthenticated(request.state.language)
    return JSONResponse({
        "user": request.state.user,
        "language": request.state.language,
        "auth": request.state.auth,
        "csrf_token": request.state.csrf_token,
    }, headers={"Cache-Control": "no-store"})


class LoginPage:
    """``GET`` and ``POST /login`` behind asgi-csrf (an ASGI app, so the middleware wraps it alone).

    The token is signed with a key the site keeps in its database, so every worker process
    accepts the forms every other one served; it is read when the first request comes in.
    """

    def __init__(self) -> None:
        self._app = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:
            services = scope["app"].state.services
            secret = await run_in_threadpool(services.auth.signing_secret, LOGIN_CSRF_SECRET)
            self._app = asgi_csrf(
                self._page,
                signing_secret=secret,
                always_protect={LOGIN_PATH},  # a cross-site form post carries no csrftoken cookie: refuse it too
                cookie_path=LOGIN_PATH,
                cookie_secure=services.settings.secure_cookies,
                cookie_samesite="Lax",
                send_csrf_failed=self._refused,
            )
        await self._app(scope, receive, send)

    async def _page(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await (login(request) if request.method == "POST" else login_form(request))
        await response(scope, receive, send)

    async def _refused(self, scope: Scope, send: Send, message_id) -> None:
        async def no_body() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        request = Request(scope, no_body)
        language = request.state.language
        response = _login_page(request, next_path=_safe_next(request.query_params.get("next")), message=_TEXT[language]["expired"], status=403)
        await response(scope, no_body, send)


def routes() -> list[Route]:
    page = LoginPage()
    return [
        Route(LOGIN_PATH, page, methods=["GET", "HEAD", "POST"], name="login"),
        Route("/logout", logout, methods=["POST"], name="logout"),
        Route("/api/v1/auth/token", endpoint(create_token), methods=["POST"], name="api_create_token"),
        Route("/api/v1/auth/token", endpoint(revoke_token), methods=["DELETE"], name="api_revoke_token"),
        Route("/api/v1/auth/me", endpoint(me), methods=["GET"], name="api_me"),
    ]
