"""The console's dispatcher: sign-in and sign-out, then the signed-in role's pages. A page is a view
(its API reads, as template variables) and the actions its forms post (each one API call). A
posted form is checked for its CSRF token; the API's ValidationError re-renders the page with each
message next to the field it names, any other refusal as the form's alert; success redirects
(303) to the page. No page decides what a caller may do: the API does, with the caller's token."""
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from services.common import auth, vocabulary
from services.common.errors import Unauthenticated

from .. import problems
from ..calls import call
from . import forms, session
from .shared import Outcome

HERE = Path(__file__).parent
SIGN_IN = "/console/signin"
ROLE_NAMES = {auth.COMMITTEE: "机关党委", auth.UNIT: "单位", auth.DEPARTMENT: "业务司局"}
# Rows the forms offer for a report's volunteers and for problems (a few open, the rest behind
# "more"): a visit takes a handful of volunteers; the API takes up to 100 of each.
MOST_VOLUNTEERS, MOST_PROBLEMS = 30, 10


class Api:
    """The API's RPC mapping with the signed-in user's token (the worker's context carries it)."""

    def __init__(self, proxies, timeout):
        self.proxies, self.timeout = proxies, timeout

    def __call__(self, service, method, /, **arguments):
        # Positional-only: a form field named `self`, `service` or `method` is an argument like any
        # other (call() refuses `self`, the RPC any name it does not take), never a TypeError here.
        return call(self.proxies[service], method, arguments, self.timeout)


@dataclass
class Context:
    request: object
    caller: object
    api: Api

    def arg(self, name, default=None):
        return self.request.args.get(name) or default

    def page_of(self, service, method, **arguments):
        """One page of a list, from the `cursor` in the query (contract §3 paging)."""
        return self.api(service, method, limit=20, cursor=self.arg("cursor"), **arguments)


def environment():
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    env.globals.update(vocabulary=vocabulary, ROLE_NAMES=ROLE_NAMES, urlencode=urlencode, ticked=forms.ticked,
                       MOST_VOLUNTEERS=MOST_VOLUNTEERS, MOST_PROBLEMS=MOST_PROBLEMS)
    env.filters["pairs"] = lambda values: [(value, value) for value in values]  # options shown as their code
    env.filters["pairs_named"] = lambda value, names: (value, names.get(value, value))
    return env


class Console:
    def __init__(self, pages, navigation, config, standing=None):
        self.pages = pages
        self.navigation = navigation  # role -> its pages' names, the first one its home
        self.standing = standing or {}  # role -> what each of its pages shows besides its view
        self.env = environment()
        self.config = config
        self.dev_key = session.dev_key(config)

    def menu(self, caller):
        names = self.navigation.get(caller.role, ()) if caller is not None else ()
        return [(name, self.pages[(caller.role, name)].title) for name in names]

    def render(self, request, template, status=200, csrf=None, **variables):
        page = self.env.get_template(template).render(
            csrf=csrf or session.csrf_token(request), dev_sign_in=self.dev_key is not None, request=request,
            menu=self.menu(variables.get("caller")), **{"failed": None, **variables})
        return Response(page, status=status, content_type="text/html; charset=utf-8")

    def sign_in_page(self, request, status=200, **variables):
        """The sign-in forms need a CSRF token before there is a session: made on the first visit."""
        token = session.csrf_token(request) or session.new_csrf()
        response = self.render(request, "signin.html", status=status, csrf=token, title="登录", **variables)
        if token != session.csrf_token(request):
            session.keep_csrf(request, response, token)
        return response

    def handle(self, request, page, identity, api):
        """The response to one console request; a refusal is a page for a browser, problem+json for
        any other client (`refusal`)."""
        try:
            response = self.dispatch(request, page, identity, api)
        except problems.Problem as problem:
            response = self.refusal(request, getattr(identity, "caller", None), problem)
        response.headers.extend(PAGE_HEADERS)
        return response

    def dispatch(self, request, page, identity, api):
        if page in ("signin", "dev-signin", "sso", "signout"):
            return self.session_page(request, page, identity)
        try:
            caller = identity.authenticate()
        except Unauthenticated:
            return self.refusal(request, None, problems.unauthenticated("请先登录(Sign in first)."))
        if caller.role not in self.navigation:
            raise problems.Problem(403, "Forbidden", "控制台不提供此角色的页面(No console for this role).")
        if page == "":
            return redirect(f"/console/{self.navigation[caller.role][0]}", 303)
        spec = self.pages.get((caller.role, page))
        if spec is None:
            return self.refusal(request, caller, problems.Problem(404, "NotFound", "没有这个页面(No such page)."))
        return self.page(request, spec, Context(request, caller, api))

    def page(self, request, spec, ctx, failed=None, shown=None):
        if request.method == "POST" and failed is None and shown is None:
            return self.act(request, spec, ctx)
        try:
            variables = spec.view(ctx)
            if isinstance(variables, Response):
                return variables
            standing = self.standing[ctx.caller.role](ctx) if ctx.caller.role in self.standing else {}
        except problems.Problem as problem:
            return self.refusal(request, ctx.caller, problem)
        variables = {**standing, **variables, **(shown or {}), "caller": ctx.caller, "title": spec.title,
                     "failed": failed}
        response = self.render(request, spec.template, **variables)
        if failed is None or failed.drawn:
            return response
        # The refused form is no longer on the page (its issue moved to another board, say): the
        # refusal is told at the top instead of being lost.
        return self.render(request, spec.template, unplaced=failed, **variables)

    def act(self, request, spec, ctx):
        session.check_csrf(request)
        name = request.form.get("_action")
        action = spec.actions.get(name)
        if action is None:
            raise problems.Problem(404, "NotFound", "没有这个操作(No such action).")
        if request.form.get("_confirming") and not request.form.get("_confirmed"):
            # A form that asks for a tick first (a deactivation cannot be undone here): nothing is called.
            return self.page(request, spec, ctx, failed=Failed.unconfirmed(request.form))
        kept = {}
        try:
            result = action(ctx, forms.arguments(request.form, kept))
        except problems.Problem as problem:
            if problem.status == 401:
                return self.refusal(request, ctx.caller, problem)
            return self.page(request, spec, ctx, failed=Failed.of(request.form, problem, kept))
        if isinstance(result, Outcome):
            return self.page(request, spec, ctx, shown=result)
        return redirect(f"{request.path}?{urlencode({**request.args, 'done': name})}", 303)

    def refusal(self, request, caller, problem):
        """A browser gets a page (or, not signed in, the sign-in page); any other client the
        gateway's problem+json, as on every other path (contract §7)."""
        if not wants_page(request):
            return by_accept(problem.response())
        if problem.status == 401:
            return by_accept(redirect(SIGN_IN, 303))
        return by_accept(self.render(request, "refused.html", status=problem.status, caller=caller, title="无法打开",
                                     problem=problem))

    def session_page(self, request, page, identity):
        if request.method != "POST":
            return self.sign_in_page(request) if page == "signin" else redirect(SIGN_IN, 303)
        if page == "sso":  # posted by the identity system: checked by the token itself, not a form
            return self.signed_in(request, request.form.get("token", ""), identity, landing=True)
        session.check_csrf(request)
        if page == "signout":
            response = redirect(SIGN_IN, 303)
            session.sign_out(response)
            return response
        if page == "dev-signin":
            return self.dev_sign_in(request, identity)
        return self.signed_in(request, request.form.get("token", "").strip(), identity)

    def dev_sign_in(self, request, identity):
        role, code = request.form.get("role", ""), request.form.get("code", "").strip()
        if self.dev_key is None or role not in self.navigation:
            raise problems.Problem(404, "NotFound", "开发登录未开启(Dev sign-in is off).")
        return self.signed_in(request, session.dev_token(self.dev_key, self.config, role, code), identity,
                              field="code")

    def signed_in(self, request, token, identity, landing=False, field="token"):
        try:
            identity.verifier.verify(token)
        except Unauthenticated as exc:
            if not wants_page(request):
                return by_accept(problems.unauthenticated(str(exc)).response())
            return by_accept(self.sign_in_page(request, status=401, failed=Failed({field: [str(exc)]}, {}, None, None)))
        if landing:
            # A cross-site post's redirect would not carry a SameSite=Strict cookie: link onwards instead.
            response = self.render(request, "landing.html")
        else:
            response = redirect("/console/", 303)
        session.sign_in(request, response, token)
        return response


# Pages show the committee and a unit a target's full phone number and address: no cache keeps
# them, no other site frames them (a click taken for another) or learns their addresses, and a
# page runs no script at all (the console has none; its charts are CSS, their widths inline).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/*")


def wants_page(request):
    """Whether the client names HTML among what it accepts, as a browser does; `*/*` alone (curl,
    an HTTP library) does not."""
    return any(quality > 0 and kind.split(";")[0].strip().lower() in PAGE_TYPES
               for kind, quality in request.accept_mimetypes)


def by_accept(response):
    """A refusal's form depends on Accept: a cache must keep one per kind of client."""
    response.vary.add("Accept")
    return response


@dataclass
class Failed:
    """A posted form that the API refused: its field errors, what was typed, and the alert."""

    errors: dict
    values: dict
    action: str | None
    key: str | None
    alert: str | None = None
    drawn: bool = False  # whether the refused form was drawn on the page shown with it

    @classmethod
    def of(cls, form, problem, kept=None):
        typed = {**{path: "" for path in form.getlist("_shown")}, **forms.values(form)}
        errors = (forms.at_fields(forms.form_paths(forms.flat_errors(problem.members.get("errors")), kept or {}),
                                  typed) if problem.code == "ValidationError" else {})
        return cls(errors, typed, form.get("_action"), form.get("_key") or None, None if errors else problem.detail)

    @classmethod
    def unconfirmed(cls, form):
        return cls({}, forms.values(form), form.get("_action"), form.get("_key") or None,
                   "请先勾选确认再提交(Tick to confirm first).")

    def here(self, at):
        """Whether this is the form at `at`: its action, or (action, the record it is for)."""
        action, key = (at, None) if isinstance(at, str) else at
        return self.action == action and (self.key or None) == (key or None)

    def draws(self, at):
        """`here`, asked by the form being drawn: the page then shows the refusal where it was made."""
        here = self.here(at)
        self.drawn = self.drawn or here
        return here

    def told(self):
        """The refusal in one line, for a page that no longer shows its form."""
        return self.alert or "; ".join(f"{path}: {' '.join(messages)}" for path, messages in self.errors.items())

    def fills(self, path, first):
        """Whether rows `path.<n>` from row `first` on were filled in or refused (drawn open again)."""
        rows = [key[len(path) + 1:].partition(".")[0] for key, value in self.values.items()
                if key.startswith(path + ".") and value not in ("", [], "false")]
        rows += [key[len(path) + 1:].partition(".")[0] for key in self.errors if key.startswith(path + ".")]
        return any(row.isdigit() and int(row) >= first for row in rows)

    def stray(self):
        """Errors whose field the form does not show (named at the top of the form)."""
        return {path: messages for path, messages in self.errors.items() if path not in self.values}
