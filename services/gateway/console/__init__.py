"""The web console at /console/ (issue 13): server-rendered pages for the committee, a unit and a
department, built on the HTTP API's own mapping only. Every page and form calls the same RPCs the
API calls (`services.gateway.calls.call`) with the signed-in user's token, so the console can never
do what that token may not, and it renders what the API returns (masked data stays masked).

| module | what it holds |
|---|---|
| `session.py` | the token cookie (HttpOnly, SameSite=Strict), the per-session CSRF token, dev sign-in |
| `forms.py` | a posted form as the RPC's arguments (dotted names, typed by suffix) |
| `views.py` | the dispatcher: sign-in, the role's pages, actions, errors next to their fields |
| `committee.py`, `unit.py`, `department.py` | each role's pages and actions |
| `marks.py` | what pages mark and draw: missing reports after the deadline, overdue issues, the report's bar rows (pure CSS bars, no script) |
| `shared.py`, `pages.py` | the page record, the inbox, issue boards' shared variables; every page by role and each role's menu |
"""
