"""Authentication and authorization every process shares: API keys, users, tokens, scopes.

`principals` says what a caller may do, `credentials` stores keys and users in the log
store, `authenticator` turns a request's credential into a principal, and `http` is the
FastAPI dependency (`require("read")`) both apps put on their routers. See docs/security.md.
"""
