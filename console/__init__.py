"""The operators' and administrators' console and the wallboard: server-rendered Flask pages.

Entry point: `console.pages.register(app, services)` (listed in `webhooks.app`). Views parse a
form, call one service function and render a template; live updates arrive by Server-Sent
Events; the only script is our own small `static/console.js`. Every page needs a login with the
right role (`console.security`).
"""
